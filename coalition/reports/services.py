"""Everything that writes the report archive: reports, their files and versions,
publishing, archiving, the file kinds allowed, and the search text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from coalition import fiscal
from coalition.audit import services as audit
from coalition.auth.models import Actor, is_active_focal_contact
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.reports import files as report_files
from coalition.reports import languages, search
from coalition.reports.models import (
    AllowedFileType,
    Report,
    ReportFile,
    ReportTag,
    ReportType,
    Visibility,
)

AUDITED = ("slug", "title", "type", "published_on", "fiscal_year", "authors", "summary",
           "language", "external_url", "visibility", "is_archived")
MAX_TAGS = 20
MAX_SEARCH_TEXT = 300_000  # PostgreSQL refuses a tsvector over 1 MB
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Addresses under /reports/ that a slug must not take.
RESERVED_SLUGS = {"new", "file-types", "feed", "archived", "import"}


@dataclass
class ReportInput:
    """What a form, an import row or the command line says about a report."""

    title: str = ""
    type: str = ""
    published_on: date | None = None
    fiscal_year: str | None = None  # FY16; default: the publication date's fiscal year
    authors: str | None = None  # one per line
    summary: str | None = None
    language: str = "en"
    tags: list[str] = field(default_factory=list)
    external_url: str | None = None
    slug: str | None = None  # default: made from the title


@dataclass
class FileInput:
    data: bytes
    filename: str
    label: str | None = None


# --- permissions ----------------------------------------------------------------------

def can_manage(actor: Actor | None) -> bool:
    return is_active_focal_contact(actor)


def require_manager(actor: Actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied("Only a focal contact can manage the report archive.")


# --- checking input -------------------------------------------------------------------

def _text(value: str | None, name: str, max_length: int, multiline: bool = False
          ) -> str | None:
    value = "".join(c for c in (value or "") if c in "\n\t" or
                    unicodedata.category(c) != "Cc").strip()  # no control characters
    if multiline:
        value = "\n".join(" ".join(line.split()) for line in value.splitlines())
        value = re.sub(r"\n{3,}", "\n\n", value).strip()
    else:
        value = " ".join(value.split())
    if len(value) > max_length:
        raise ValidationError(name, f"Keep it under {max_length} characters.")
    return value or None


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lower-cased, one space between words, no duplicates, in the order given."""
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join((tag or "").split()).lower().strip(",")
        if not tag:
            continue
        if len(tag) > 60:
            raise ValidationError("tags", f"Keep each tag under 60 characters (“{tag[:60]}…”).")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError("tags", f"Give at most {MAX_TAGS} tags.")
    return cleaned


def split_tags(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(";", ",").split(",") if part.strip()]


def _url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        raise ValidationError("external_url", "Give a full web address starting with "
                                              "https:// (or http://).")
    if len(value) > 1000:
        raise ValidationError("external_url", "Keep the address under 1000 characters.")
    return value


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_title.lower()))[:80].strip("-")
    return slug or "report"


def _unique_slug(base: str, report_id: int | None) -> str:
    taken = set(db.session.scalars(select(Report.slug).where(
        Report.slug.like(f"{base}%"), Report.id != (report_id or 0))))
    if base not in taken and base not in RESERVED_SLUGS:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _check_slug(slug: str, report_id: int | None) -> str:
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug) or len(slug) > 100:
        raise ValidationError("slug", "Use lower-case letters, digits and single hyphens "
                                      "(for example annual-report-2016), at most 100.")
    if slug in RESERVED_SLUGS:
        raise ValidationError("slug", f"“{slug}” is reserved for a page of the archive; "
                                      "choose another.")
    clash = db.session.scalar(select(Report.id).where(Report.slug == slug,
                                                      Report.id != (report_id or 0)))
    if clash is not None:
        raise ValidationError("slug", "Another report already has this address.")
    return slug


def _apply(report: Report, data: ReportInput, fy_start_month: int) -> None:
    title = _text(data.title, "title", 300)
    if not title:
        raise ValidationError("title", "Give the report a title.")
    if data.type not in {t.value for t in ReportType}:
        raise ValidationError("type", "Choose the type of report from the list.")
    if data.published_on is None:
        raise ValidationError("published_on", "Give the publication date (YYYY-MM-DD).")
    if data.published_on.year < 1900 or data.published_on > date(9999, 1, 1):
        raise ValidationError("published_on", "Give a real publication date.")
    if data.language not in languages.LANGUAGES:
        raise ValidationError("language", "Choose the language from the list.")
    fiscal_year = fiscal.label_of(data.published_on, fy_start_month)
    if data.fiscal_year and data.fiscal_year.strip():
        fiscal_year = fiscal.parse(data.fiscal_year)
        if fiscal_year is None:
            raise ValidationError("fiscal_year", "Write the fiscal year as FY16 (or 2016).")
    if data.slug and data.slug.strip() and data.slug.strip() != report.slug:
        if report.first_published_at is not None:
            raise ValidationError("slug", "This report has been published, so its address "
                                          "may be cited: it cannot change.")
        report.slug = _check_slug(data.slug, report.id)
    elif not report.slug:
        report.slug = _unique_slug(slugify(title), report.id)
    report.title = title
    report.type = data.type
    report.published_on = data.published_on
    report.fiscal_year = fiscal_year
    report.authors = _text(data.authors, "authors", 5000, multiline=True)
    report.summary = _text(data.summary, "summary", 20000, multiline=True)
    report.language = data.language
    report.external_url = _url(data.external_url)
    tags = clean_tags(data.tags)
    if tags != report.tags:
        kept = {row.tag: row for row in report.tag_rows}
        report.tag_rows = [kept.get(tag) or ReportTag(tag=tag) for tag in tags]


def _snapshot(report: Report) -> dict:
    values = audit.snapshot(report, AUDITED)
    values["tags"] = ", ".join(report.tags)
    return values


# --- files ----------------------------------------------------------------------------

def allowed_kinds() -> set[str]:
    return set(db.session.scalars(select(AllowedFileType.kind)))


def check_files(inputs: Iterable[FileInput], field_name: str = "file",
                fallback: str = "report") -> list[tuple[FileInput, report_files.Upload]]:
    """Check every file (and its label) before anything is stored: one bad file stores
    none of them."""
    allowed = allowed_kinds()
    checked = []
    for item in inputs:
        item.label = _text(item.label, "label", 200)
        checked.append((item, report_files.check_upload(item.data, item.filename, allowed,
                                                        field_name, fallback)))
    return checked


def _store(actor: Actor, report: Report, item: FileInput, upload: report_files.Upload
           ) -> ReportFile:
    report_files.storage().put(upload.data)
    row = ReportFile(report=report, label=item.label,
                     filename=upload.filename, content_type=upload.kind.content_type,
                     size=len(upload.data), sha256=upload.sha256, text=upload.text,
                     page_count=upload.page_count, uploaded_by=actor.audit_label)
    db.session.add(row)
    return row


# --- writing reports ------------------------------------------------------------------

def create_report(actor: Actor, data: ReportInput, files: Iterable[FileInput] = (),
                  visibility: str = Visibility.DRAFT, fy_start_month: int = 1,
                  now: datetime | None = None) -> Report:
    """A new report (a draft unless told otherwise) with its files."""
    require_manager(actor)
    if visibility not in {v.value for v in Visibility}:
        raise ValidationError("visibility", "Choose draft, members or public.")
    report = Report(visibility=Visibility.DRAFT.value, download_count=0, search_text="")
    _apply(report, data, fy_start_month)
    checked = check_files(files, fallback=report.slug)
    db.session.add(report)
    for item, upload in checked:
        _store(actor, report, item, upload)
    db.session.flush()
    audit.record(actor, "create", report, audit.diff({}, _snapshot(report)),
                 summary=f"{len(checked)} file(s)" if checked else "")
    if visibility != Visibility.DRAFT:
        set_visibility(actor, report, visibility, now=now)
    refresh_search_text(report)
    return report


def update_report(actor: Actor, report: Report, data: ReportInput,
                  fy_start_month: int = 1) -> None:
    require_manager(actor)
    before = _snapshot(report)
    _apply(report, data, fy_start_month)
    changes = audit.diff(before, _snapshot(report))
    if changes:
        refresh_search_text(report)
        audit.record(actor, "update", report, changes)


def set_visibility(actor: Actor, report: Report, visibility: str,
                   now: datetime | None = None) -> None:
    """Publish (to members or to the public) or unpublish (back to draft)."""
    require_manager(actor)
    if visibility not in {v.value for v in Visibility}:
        raise ValidationError("visibility", "Choose draft, members or public.")
    if visibility == report.visibility:
        return
    if visibility != Visibility.DRAFT:
        if report.is_archived:
            raise ValidationError("visibility", "Restore the report before publishing it.")
        if not report.current_files and not report.external_url:
            raise ValidationError("visibility", "Add a file or a link before publishing: "
                                                "there would be nothing to read.")
        if report.first_published_at is None:
            report.first_published_at = now or utcnow()
    before = report.visibility
    report.visibility = visibility
    audit.record(actor, "publish" if visibility != Visibility.DRAFT else "unpublish", report,
                 {"visibility": [before, visibility]})


def add_file(actor: Actor, report: Report, item: FileInput) -> ReportFile:
    require_manager(actor)
    ((item, upload),) = check_files([item], fallback=report.slug)
    row = _store(actor, report, item, upload)
    db.session.flush()
    refresh_search_text(report)
    audit.record(actor, "add_file", report, {"file": [None, row.filename]},
                 summary=f"{row.filename} ({row.size} bytes, sha256 {row.sha256[:12]})")
    return row


def replace_file(actor: Actor, old: ReportFile, item: FileInput,
                 now: datetime | None = None) -> ReportFile:
    """A new version of a file; the old one stays downloadable as an earlier version."""
    require_manager(actor)
    if old.replaced_at is not None:
        raise ValidationError("file", "This is already an earlier version; replace the "
                                      "current one.")
    report = old.report
    ((item, upload),) = check_files([item], fallback=report.slug)
    if item.label is None:
        item.label = old.label
    row = _store(actor, report, item, upload)
    db.session.flush()
    old.replaced_at = now or utcnow()
    old.replaced_by_id = row.id
    refresh_search_text(report)
    audit.record(actor, "replace_file", report, {"file": [old.filename, row.filename]},
                 summary=f"file {old.id} replaced by {row.id} (sha256 {row.sha256[:12]})")
    return row


def set_archived(actor: Actor, report: Report, archived: bool,
                 now: datetime | None = None) -> None:
    """Archived reports leave every listing and page except the focal contact's; nothing
    is deleted, and restoring brings the report back as it was."""
    require_manager(actor)
    if report.is_archived == archived:
        return
    report.is_archived = archived
    report.archived_at = (now or utcnow()) if archived else None
    audit.record(actor, "archive" if archived else "restore", report,
                 {"is_archived": [not archived, archived]})


def set_allowed_kinds(actor: Actor, kinds: set[str]) -> None:
    require_manager(actor)
    unknown = kinds - {kind.code for kind in report_files.OPTIONAL_KINDS}
    if unknown:
        raise ValidationError("kinds", "Choose kinds of file from the list.")
    current = allowed_kinds()
    if kinds == current:
        return
    if current - kinds:
        db.session.execute(delete(AllowedFileType).where(
            AllowedFileType.kind.in_(current - kinds)))
    for kind in sorted(kinds - current):
        db.session.add(AllowedFileType(kind=kind, allowed_by=actor.audit_label))
    db.session.flush()
    audit.record(actor, "set_allowed_file_types", _Settings(),
                 {"allowed": [sorted(current), sorted(kinds)]})


class _Settings:
    """The archive's settings, as an audit entity."""

    __tablename__ = "report_allowed_file_types"
    id = "archive"


def count_download(row: ReportFile) -> None:
    """One more download of the file and of its report (counted in the database, so
    simultaneous downloads are all counted). Not audited: it is not a change by anyone."""
    db.session.execute(update(ReportFile).where(ReportFile.id == row.id).values(
        download_count=ReportFile.download_count + 1))
    db.session.execute(update(Report).where(Report.id == row.report_id).values(
        download_count=Report.download_count + 1,
        updated_at=Report.updated_at))  # a download is not an edit: the feed must not move


# --- the search text ------------------------------------------------------------------

def refresh_search_text(report: Report) -> None:
    """What the full-text index reads: the metadata, then the current files' text."""
    db.session.flush()
    parts = [report.title, report.authors or "", report.summary or "", " ".join(report.tags),
             report.fiscal_year or "", report.slug]
    file_texts = db.session.scalars(select(ReportFile.text).where(
        ReportFile.report_id == report.id, ReportFile.replaced_at.is_(None),
        ReportFile.text.is_not(None)).order_by(ReportFile.id))
    parts.extend(file_texts)
    report.search_text = search.fold("\n".join(part for part in parts if part))[
        :MAX_SEARCH_TEXT]


def reindex(actor: Actor, report_ids: Iterable[int] | None = None,
            progress=None) -> tuple[int, list[str]]:
    """Read every stored PDF's text again (after a pypdf upgrade, or for files imported
    before text extraction) and rebuild the search text. Returns (reports, problems)."""
    require_manager(actor)
    store = report_files.storage()
    statement = select(Report).order_by(Report.id)
    if report_ids is not None:
        statement = statement.where(Report.id.in_(list(report_ids)))
    # First make the index match the table again (FTS5: an index that lost rows would make
    # the update triggers below fail); then every changed text updates it as usual.
    search.rebuild(db.session.connection())
    problems: list[str] = []
    count = 0
    for report in db.session.scalars(statement):
        for row in report.files:
            if row.content_type != report_files.PDF.content_type:
                continue
            try:
                row.text, row.page_count = report_files.read_pdf(store.read(row.sha256),
                                                                 row.filename)
            except (OSError, ValidationError) as error:
                problems.append(f"{report.slug}/{row.filename}: "
                                f"{getattr(error, 'message', error)}")
        refresh_search_text(report)
        count += 1
        if progress is not None:
            progress(1)
    return count, problems
