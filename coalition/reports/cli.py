"""`coalition reports add|import|reindex`: moving an existing archive in, and rebuilding
the search text, from the command line. Each command parses its input, calls the report
services, and commits once; bad input is reported and writes nothing."""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coalition.auth.models import SystemActor
from coalition.db import today
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.reports import languages, queries, services
from coalition.reports.models import Report, ReportType, Visibility
from coalition.reports.services import FileInput, ReportInput
from coalition.urls import external_url

VISIBILITIES = click.Choice([v.value for v in Visibility])
AS_VISIBILITY = {"draft": "as drafts", "members": "for members only", "public": "public"}
# The service's field names as `reports add` spells them, for its error messages.
OPTIONS = {"title": "--title", "type": "--type", "published_on": "--date",
           "fiscal_year": "--fiscal-year", "authors": "--author", "summary": "--summary",
           "language": "--language", "tags": "--tag", "external_url": "--url",
           "slug": "--slug", "label": "--label", "visibility": "--visibility", "file": "FILE"}


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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _fy_start_month() -> int:
    return current_app.config["FY_START_MONTH"]


@click.group("reports", help="The report archive: add, import, reindex.")
def reports_cli() -> None:
    pass


# --- reports add ----------------------------------------------------------------------

@reports_cli.command("add", help="Add one report with its files (PDF), or with only --url.")
@click.argument("files", metavar="[FILE]...", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True)
@click.option("--type", "report_type", required=True,
              help="annual_report, session_report, policy_paper, position_paper, guidelines, "
                   "submission or other (or the name, such as 'Annual report').")
@click.option("--date", "published_on", type=click.DateTime(["%Y-%m-%d"]),
              help="Publication date, YYYY-MM-DD.  [default: today]")
@click.option("--fiscal-year", help="FY16 (default: the publication date's fiscal year).")
@click.option("--author", "authors", multiple=True, help="A person or organization; repeat "
                                                         "for each, in citation order.")
@click.option("--summary")
@click.option("--language", default="en", show_default=True, help="Code (fr) or name.")
@click.option("--tag", "tags", multiple=True, help="Repeat for each tag.")
@click.option("--url", help="A link to the report elsewhere (https://...).")
@click.option("--slug", help="The address /reports/SLUG (default: made from the title).")
@click.option("--label", help="What the files are, shown on the report page (Full report).")
@click.option("--visibility", type=VISIBILITIES, default=Visibility.DRAFT.value,
              show_default=True)
@with_appcontext
def add_command(files: tuple[Path, ...], title: str, report_type: str, published_on,
                fiscal_year: str | None, authors: tuple[str, ...], summary: str | None,
                language: str, tags: tuple[str, ...], url: str | None, slug: str | None,
                label: str | None, visibility: str) -> None:
    if not files and not url:
        raise click.UsageError("Give at least one FILE, or --url for a report kept elsewhere.")
    actor = SystemActor("command: reports add")
    try:
        data = ReportInput(
            title=title, type=parse_type(report_type),
            published_on=published_on.date() if published_on else today(),
            fiscal_year=fiscal_year, authors="\n".join(authors), summary=summary,
            language=parse_language(language),
            tags=[part for tag in tags for part in services.split_tags(tag)],
            external_url=url, slug=slug)
        inputs = [FileInput(path.read_bytes(), path.name, label) for path in files]
        report = services.create_report(actor, data, inputs, visibility=visibility,
                                        fy_start_month=_fy_start_month())
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        where = f"{OPTIONS.get(error.field, error.field)}: " if error.field else ""
        after = "" if "Nothing was" in error.message else " Nothing was added."
        raise click.ClickException(f"{where}{error.message}{after}") from error
    click.echo(f"Added {report.slug} ({Visibility(report.visibility).label}): "
               f"{external_url('reports.detail', slug=report.slug)}")
    for row in report.current_files:
        pages = _count(row.page_count, "page") if row.page_count is not None else "not a PDF"
        text = "text read for search" if row.text else "no text found (a scan?)"
        click.echo(f"  {row.filename}: {row.size} bytes, {pages}, {text}")


# --- reports import -------------------------------------------------------------------

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
        raise click.ClickException("The file is not UTF-8 text: save it as CSV UTF-8 and "
                                   "run the import again.") from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise click.ClickException(f"The file is not valid CSV ({error}).") from None
    if not records:
        raise click.ClickException("The file is empty.")
    columns: dict[str, int] = {}
    ignored = []
    for position, name in enumerate(records[0]):
        column = COLUMNS.get(_key(name))
        if column is None:
            if name.strip():
                ignored.append(name.strip())
        elif column in columns:
            raise click.ClickException(f"Two columns are both read as {HEADERS[column]}: keep "
                                       "one of them.")
        else:
            columns[column] = position
    missing = [HEADERS[c] for c in ("title", "type", "date") if c not in columns]
    if "url" not in columns and "file" not in columns:
        missing.append("URL or File")
    if missing:
        raise click.ClickException("The first row must name the columns; there is none for "
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
              known: ArchiveIndex) -> ImportRow | None:
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
        _check_metadata(row, data)
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


def _check_metadata(row: ImportRow, data: ReportInput) -> None:
    """The service checks the row as it will when writing; then the check is undone."""
    savepoint = db.session.begin_nested()
    try:
        services.create_report(SystemActor("command: reports import"), data,
                               fy_start_month=_fy_start_month())
    except ValidationError as error:
        column = HEADERS.get(FIELD_COLUMNS.get(error.field or "", ""), "")
        row.errors.append(f"{column}: {error.message}" if column else error.message)
    finally:
        savepoint.rollback()


@reports_cli.command("import", help="Import reports from a CSV file: columns title, type, "
                                    "date (YYYY-MM-DD), and url or file (a path, relative to "
                                    "the CSV's folder); optional fiscal_year, authors "
                                    "(separated by ;), summary, language, tags, slug, "
                                    "label. Reports already in the archive are skipped.")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False,
                                                           path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--visibility", type=VISIBILITIES, default=Visibility.DRAFT.value,
              show_default=True, help="Of the new reports. Draft by default, so nothing is "
                                      "shown until a focal contact has looked at it.")
@click.option("--valid-rows", is_flag=True, help="Import the good rows even if others have "
                                                 "errors (by default: all or nothing).")
@with_appcontext
def import_command(csv_file: Path, dry_run: bool, visibility: str, valid_rows: bool) -> None:
    columns, ignored, records = read_csv(csv_file.read_bytes())
    if ignored:
        click.echo(f"Columns not read: {', '.join(ignored)}")
    known = ArchiveIndex()
    folder = csv_file.resolve().parent
    with click.progressbar(records, label="Checking", file=sys.stderr) as bar:
        rows = [row for number, cells in bar
                if (row := check_row(number, cells, columns, folder, known)) is not None]
    new = [row for row in rows if row.is_new]
    skipped = [row for row in rows if row.skipped]
    bad = [row for row in rows if row.errors]
    for row in rows:
        if row.errors:
            click.echo(f"Row {row.number}: {' '.join(row.errors)}")
        elif row.skipped:
            click.echo(f"Row {row.number}: skipped, {row.skipped}.")
    click.echo(f"{_count(len(rows), 'row')}: {len(new)} to create, {len(skipped)} skipped, "
               f"{len(bad)} with errors.")
    if bad and not valid_rows:
        raise click.ClickException(f"{_count(len(bad), 'row')} with errors, so nothing was "
                                   "imported (all or nothing). Correct them, or use "
                                   "--valid-rows to import the other rows.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    _write(new, visibility)
    click.echo(f"Imported: {len(new)} created {AS_VISIBILITY[visibility]}, "
               f"{len(skipped)} skipped, {len(bad)} with errors not imported.")


def _write(rows: list[ImportRow], visibility: str) -> None:
    """Every new report, then one commit; any failure leaves the archive as it was."""
    actor = SystemActor("command: reports import")
    current = None
    try:
        with click.progressbar(rows, label="Importing", file=sys.stderr) as bar:
            for current in bar:
                files = ([FileInput(current.path.read_bytes(), current.path.name,
                                    current.label)] if current.path else [])
                services.create_report(actor, current.data, files, visibility=visibility,
                                       fy_start_month=_fy_start_month())
        db.session.commit()
    except (ValidationError, IntegrityError, OSError) as error:
        db.session.rollback()
        reason = getattr(error, "message", None) or str(error).splitlines()[0]
        where = f"row {current.number}: " if current is not None else ""
        raise click.ClickException(f"Nothing was imported: {where}{reason}") from error


# --- reports reindex ------------------------------------------------------------------

@reports_cli.command("reindex", help="Read the text of the stored PDFs again and rebuild "
                                     "the search text (after a pypdf upgrade, or a restore).")
@click.option("--slug", help="Only this report.")
@with_appcontext
def reindex_command(slug: str | None) -> None:
    report_ids = None
    if slug:
        report = queries.by_slug(slug)
        if report is None:
            raise click.ClickException(f"No report has the address {_quoted(slug)}.")
        report_ids = [report.id]
    total = 1 if slug else db.session.scalar(select(func.count()).select_from(Report))
    with click.progressbar(length=total, label="Reading files", file=sys.stderr) as bar:
        count, problems = services.reindex(SystemActor("command: reports reindex"),
                                           report_ids, progress=bar.update)
    db.session.commit()
    click.echo(f"Reindexed {_count(count, 'report')}.")
    for problem in problems:
        click.echo(f"Problem: {problem}")
    if problems:
        raise click.ClickException(f"{_count(len(problems), 'file')} could not be read and "
                                   "kept the text read before; restore from a backup and run "
                                   "this again.")
