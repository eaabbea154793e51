"""Reading a CSV of existing reports for `coalition reports import`: the columns, each row
checked as the write will check it (its file too), and the rows already in the archive."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from coalition.auth.models import SystemActor
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.reports import languages, services
from coalition.reports.models import Report, ReportType
from coalition.reports.services import FileInput, ReportInput


def _key(text: str) -> str:
    """Headers and vocabulary match whatever their case, spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


TYPES = {_key(text): kind.value for kind in ReportType for text in (kind.value, kind.label)}
LANGUAGE_NAMES = {_key(name): code for code, name in languages.LANGUAGES.items()}


def parse_type(value: str) -> str:
    """A type of report by its code (annual_report) or its name (Annual report)."""
    code = TYPES.get(_key(value or ""))
    if code is None:
        what = (f"{_quoted(value)} is not a type of report" if (value or "").strip()
                else "Give the type of report")
        raise ValidationError("type", f"{what} (write one of "
                                      f"{', '.join(t.value for t in ReportType)}, or its "
                                      "name, such as Annual report).")
    return code


def parse_language(value: str) -> str:
    """A language by its code (fr) or its English name (French); English when empty."""
    value = (value or "").strip()
    if not value:
        return "en"
    if value.lower() in languages.LANGUAGES:
        return value.lower()
    code = LANGUAGE_NAMES.get(_key(value))
    if code is None:
        raise ValidationError("language", f"{_quoted(value)} is not a language we know "
                                          f"(write a code: {', '.join(languages.LANGUAGES)}).")
    return code


def _quoted(value: str) -> str:
    value = value or ""
    return repr(value if len(value) <= 40 else value[:39] + "…")


COLUMNS = {  # header (as _key spells it) -> the column it is
    "title": "title", "type": "type", "reporttype": "type", "date": "date",
    "publishedon": "date", "publicationdate": "date", "url": "url", "link": "url",
    "externalurl": "url", "file": "file", "path": "file", "filepath": "file",
    "fiscalyear": "fiscal_year", "fy": "fiscal_year", "authors": "authors",
    "author": "authors", "summary": "summary", "language": "language", "lang": "language",
    "tags": "tags", "keywords": "tags", "slug": "slug", "label": "label",
}
HEADERS = {"title": "Title", "type": "Type", "date": "Date", "url": "URL", "file": "File",
           "fiscal_year": "Fiscal year", "authors": "Authors", "summary": "Summary",
           "language": "Language", "tags": "Tags", "slug": "Slug", "label": "Label"}
# The service's field names as the file's columns, for the messages.
FIELD_COLUMNS = {"published_on": "date", "external_url": "url", **{c: c for c in HEADERS}}


@dataclass
class ImportRow:
    """One row of the file: the report it would create, or why it cannot or need not."""

    number: int  # as a spreadsheet shows it: the header is row 1
    data: ReportInput | None = None
    path: Path | None = None
    label: str | None = None
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it is left out although it is fine

    @property
    def is_new(self) -> bool:
        return not self.errors and not self.skipped


def read_csv(data: bytes) -> tuple[dict[str, int], list[str], list[tuple[int, list[str]]]]:
    """The columns found (name -> position), the headers not read, and the numbered rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file", "The file is not UTF-8 text: save it as CSV UTF-8 and "
                                   "run the import again.") from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ValidationError("file", f"The file is not valid CSV ({error}).") from None
    if not records:
        raise ValidationError("file", "The file is empty.")
    columns: dict[str, int] = {}
    ignored = []
    for position, name in enumerate(records[0]):
        column = COLUMNS.get(_key(name))
        if column is None:
            if name.strip():
                ignored.append(name.strip())
        elif column in columns:
            raise ValidationError("file", f"Two columns are both read as {HEADERS[column]}: keep "
                                       "one of them.")
        else:
            columns[column] = position
    missing = [HEADERS[c] for c in ("title", "type", "date") if c not in columns]
    if "url" not in columns and "file" not in columns:
        missing.append("URL or File")
    if missing:
        raise ValidationError("file", "The first row must name the columns; there is none for "
                                   f"{', '.join(missing)}.")
    return columns, ignored, list(enumerate(records[1:], start=2))


class ArchiveIndex:
    """What is already in the archive, and in the rows before: how a row is found to be a
    report imported already."""

    def __init__(self) -> None:
        self.slugs: dict[str, str] = {}
        self.titles: dict[tuple[str, date], str] = {}
        for slug, title, published_on in db.session.execute(
                select(Report.slug, Report.title, Report.published_on)):
            self.add(slug, title, published_on, f"already in the archive as {slug}")

    def add(self, slug: str | None, title: str, published_on: date, reason: str) -> None:
        if slug:
            self.slugs.setdefault(slug, reason)
        self.titles.setdefault((" ".join(title.split()).casefold(), published_on), reason)

    def find(self, data: ReportInput) -> str | None:
        slug = (data.slug or "").strip().lower()
        return self.slugs.get(slug) if slug in self.slugs else self.titles.get(
            (" ".join(data.title.split()).casefold(), data.published_on))


def check_row(number: int, cells: list[str], columns: dict[str, int], folder: Path,
              known: ArchiveIndex, fy_start_month: int = 1) -> ImportRow | None:
    """Everything the write will check, without writing; None for an empty row."""
    values = {name: cells[position].strip() if position < len(cells) else ""
              for name, position in columns.items()}
    if not any(values.values()):
        return None
    row = ImportRow(number, label=values.get("label") or None)
    data = ReportInput(title=values["title"], fiscal_year=values.get("fiscal_year"),
                       authors="\n".join(a.strip() for a in values.get("authors", "")
                                         .split(";")),
                       summary=values.get("summary"), tags=services.split_tags(
                           values.get("tags")), external_url=values.get("url") or None,
                       slug=values.get("slug") or None)
    try:
        data.published_on = date.fromisoformat(values["date"])
    except ValueError:
        what = (f"{_quoted(values['date'])} is not a date" if values["date"]
                else "Give the publication date")
        row.errors.append(f"Date: {what}; write it as YYYY-MM-DD.")
    for name, parse in (("type", parse_type), ("language", parse_language)):
        try:
            setattr(data, name, parse(values.get(name, "")))
        except ValidationError as error:
            row.errors.append(f"{HEADERS[name]}: {error.message}")
    if data.title.strip() and data.published_on is not None:
        row.skipped = known.find(data)
        if row.skipped:
            row.errors = []  # the report is in already; a typo in its type changes nothing
            return row
    if values.get("file"):
        row.path = _check_file(row, values["file"], folder)
    elif not data.external_url:
        row.errors.append("Give a URL or a File: a report needs something to read.")
    if not row.errors:
        _check_metadata(row, data, fy_start_month)
    if not row.errors:
        row.data = data
        known.add(data.slug and data.slug.strip().lower(), data.title, data.published_on,
                  f"the same report as row {number}")
    return row


def _check_file(row: ImportRow, name: str, folder: Path) -> Path | None:
    path = Path(name).expanduser()
    path = path if path.is_absolute() else folder / path
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        row.errors.append(f"File: {_quoted(name)} was not found (looked for {path}).")
    except IsADirectoryError:
        row.errors.append(f"File: {_quoted(name)} is a folder, not a file.")
    except OSError as error:
        row.errors.append(f"File: {_quoted(name)} cannot be read ({error.strerror}).")
    else:
        try:
            services.check_files([FileInput(content, path.name)])
        except ValidationError as error:
            row.errors.append(f"File: {error.message.removesuffix(' Nothing was saved.')}")
        else:
            return path
    return None


def _check_metadata(row: ImportRow, data: ReportInput, fy_start_month: int) -> None:
    """The service checks the row as it will when writing; then the check is undone."""
    savepoint = db.session.begin_nested()
    try:
        services.create_report(SystemActor("command: reports import"), data,
                               fy_start_month=fy_start_month)
    except ValidationError as error:
        column = HEADERS.get(FIELD_COLUMNS.get(error.field or "", ""), "")
        row.errors.append(f"{column}: {error.message}" if column else error.message)
    finally:
        savepoint.rollback()


def write(actor, rows: list[ImportRow], visibility: str, fy_start_month: int = 1,
          progress=None) -> None:
    """Create every new report (flushing only; the caller commits once). A failure names
    its row: ValidationError(None, "row N: ...")."""
    for row in rows:
        files = [FileInput(row.path.read_bytes(), row.path.name, row.label)] \
            if row.path else []
        try:
            services.create_report(actor, row.data, files, visibility=visibility,
                                   fy_start_month=fy_start_month)
        except (ValidationError, OSError) as error:
            reason = getattr(error, "message", None) or str(error)
            raise ValidationError(None, f"row {row.number}: {reason}") from error
        if progress is not None:
            progress(1)
