"""The public report archive: the listing with facets and search, a report's page, and
its file downloads."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from coalition.db import writes_on_get
from coalition.errors_web import render_error
from coalition.extensions import db
from coalition.members.visibility import FOCAL, audience
from coalition.reports import files as report_files
from coalition.reports import languages, queries, search, services
from coalition.reports.models import Report, ReportFile, ReportType
from coalition.templating import filesize
from coalition.urls import external_url
from coalition.web import page_number

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)

PUBLIC_MAX_AGE = 86400  # a public file may sit in any cache for a day
PDF_CONTENT_SECURITY_POLICY = ("default-src 'none'; object-src 'self'; "
                               "style-src 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
MAX_QUERY = 200
MAX_TAG_FILTERS = 10
EXCERPT = 280  # characters of the summary shown in the listing
_YEAR = re.compile(r"[0-9]{4}")
_TYPES = {t.value for t in ReportType}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first",
               "title": "Title (A–Z)"}


# --- the listing ----------------------------------------------------------------------

def report_filter(args, who: str) -> queries.ReportFilter:
    """The listing's filters from a query string, leniently: a value it does not know is
    ignored rather than refused (links get mistyped and shared)."""
    year = args.get("year", "")
    tags: list[str] = []
    for tag in args.getlist("tag"):
        tag = " ".join(tag.split()).lower()
        if tag and len(tag) <= 60 and tag not in tags:
            tags.append(tag)
    return queries.ReportFilter(
        q=" ".join(args.get("q", "").split())[:MAX_QUERY],
        type=_known(args.get("type"), _TYPES),
        year=int(year) if _YEAR.fullmatch(year) and 1900 <= int(year) < 9999 else None,
        language=_known(args.get("language"), languages.LANGUAGES),
        tags=tags[:MAX_TAG_FILTERS],
        sort=_known(args.get("sort"), queries.SORTS),
        archived=who == FOCAL and args.get("archived") == "1",
    )


def _known(value: str | None, vocabulary) -> str:
    return value if value in vocabulary else ""


def listing_url(filters: queries.ReportFilter, **changes) -> str:
    """The listing with `filters`, `changes` applied (back on page 1)."""
    args = {"q": filters.q, "type": filters.type, "year": filters.year or "",
            "language": filters.language, "tag": list(filters.tags), "sort": filters.sort,
            "archived": "1" if filters.archived else ""}
    args.update(changes)
    return url_for("reports.index", **{name: value for name, value in args.items() if value})


@dataclass
class FacetLink:
    label: str
    count: int
    selected: bool
    url: str  # adds the value to the filters, or removes it when selected


@dataclass
class FacetGroup:
    name: str
    title: str
    links: list[FacetLink]


@dataclass
class ActiveFilter:
    label: str
    remove_url: str


def _toggled(filters: queries.ReportFilter, name: str, value: str, selected: bool):
    if name == "tag":
        return [t for t in filters.tags if t != value] if selected else [*filters.tags, value]
    return "" if selected else value


def facet_groups(filters: queries.ReportFilter, facets: queries.Facets) -> list[FacetGroup]:
    groups = []
    for name, title in (("type", "Type"), ("year", "Year"), ("language", "Language"),
                        ("tag", "Tag")):
        values = getattr(facets, name)
        links = [FacetLink(v.label, v.count, v.selected, listing_url(
            filters, **{name: _toggled(filters, name, v.value, v.selected)})) for v in values]
        if links:
            groups.append(FacetGroup(name, title, links))
    return groups


def active_filters(filters: queries.ReportFilter) -> list[ActiveFilter]:
    """What narrows the listing now, each with a link that drops it."""
    active = []
    if filters.q:
        active.append(ActiveFilter(f"Search: “{filters.q}”", listing_url(filters, q="")))
    if filters.type:
        active.append(ActiveFilter(f"Type: {ReportType(filters.type).label}",
                                   listing_url(filters, type="")))
    if filters.year:
        active.append(ActiveFilter(f"Year: {filters.year}", listing_url(filters, year="")))
    if filters.language:
        active.append(ActiveFilter(f"Language: {languages.name_of(filters.language)}",
                                   listing_url(filters, language="")))
    for tag in filters.tags:
        active.append(ActiveFilter(f"Tag: {tag}", listing_url(
            filters, tag=_toggled(filters, "tag", tag, True))))
    return active


@dataclass
class Listed:
    """A report as one result of the listing."""

    report: Report
    excerpt: str
    kinds: list[str]
    found_in_files: bool  # the search words are in its files' text, not its metadata


def file_kinds(report: Report) -> list[str]:
    kinds = []
    for row in report.current_files:
        if row.kind_label not in kinds:
            kinds.append(row.kind_label)
    if report.external_url:
        kinds.append("Web link")
    return kinds


def excerpt(text: str | None, length: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _found_in_files(report: Report, words: list[str]) -> bool:
    metadata = search.terms(" ".join([report.title, report.summary or "",
                                      report.authors or "", *report.tags]), limit=None)
    return any(not any(known.startswith(word) for known in metadata) for word in words)


@bp.route("/reports/")
def index():
    who = audience(current_user)
    filters = report_filter(request.args, who)
    page = queries.listing(filters, who, page_number())
    words = filters.words
    results = [Listed(report, excerpt(report.summary), file_kinds(report),
                      bool(words) and _found_in_files(report, words))
               for report in page.items]
    sorts = [(value, label) for value, label in SORT_LABELS.items()
             if value != "relevance" or words]
    return render_template(
        "reports/index.html", who=who, filters=filters, page=page, results=results,
        facet_groups=facet_groups(filters, queries.facets(filters, who)),
        active_filters=active_filters(filters), sorts=sorts,
        clear_url=url_for("reports.index", archived="1") if filters.archived
        else url_for("reports.index"))


# --- a report's page ------------------------------------------------------------------

def download_url(row: ReportFile, absolute: bool = False) -> str:
    values = {"slug": row.report.slug, "file_id": row.id, "filename": row.filename}
    return external_url("reports.download", **values) if absolute \
        else url_for("reports.download", **values)


@dataclass
class FileEntry:
    row: ReportFile
    kind: str
    size: str
    url: str
    earlier: list[FileEntry] = field(default_factory=list)


def _entry(row: ReportFile) -> FileEntry:
    return FileEntry(row, row.kind_label, filesize(row.size), download_url(row))


def file_entries(report: Report) -> tuple[list[FileEntry], list[FileEntry]]:
    """The current files, each with the versions it replaced (newest first), and any
    earlier version no current file leads back to."""
    current = []
    placed: set[int] = set()
    for row in report.current_files:
        entry = _entry(row)
        for previous in report.earlier_versions(row):
            placed.add(previous.id)
            entry.earlier.append(_entry(previous))
        current.append(entry)
    orphans = [_entry(row) for row in report.files
               if not row.is_current and row.id not in placed]
    return current, sorted(orphans, key=lambda e: e.row.replaced_at, reverse=True)


def paragraphs(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def citation(report: Report) -> str:
    """Authors (2016). Title. Coalition. Annual report. https://…/reports/slug"""
    name = current_app.config["NAME"]
    authors = ", ".join(report.author_list)
    title = report.title if report.title[-1:] in ".?!" else f"{report.title}."
    parts = [f"{authors or name} ({report.published_on.year}).", title]
    if authors:
        parts.append(f"{name}.")
    parts += [f"{report.type_label}.", external_url("reports.detail", slug=report.slug)]
    return " ".join(parts)


def highwire_tags(report: Report) -> list[tuple[str, str]]:
    """The <meta name="citation_…"> tags Google Scholar and reference managers read."""
    tags = [("citation_title", report.title)]
    tags += [("citation_author", author) for author in report.author_list]
    tags += [("citation_publication_date", report.published_on.strftime("%Y/%m/%d")),
             ("citation_publisher", current_app.config["NAME"]),
             ("citation_language", report.language),
             ("citation_abstract_html_url", external_url("reports.detail", slug=report.slug))]
    pdf = next((row for row in report.current_files
                if row.content_type == report_files.PDF.content_type), None)
    if pdf is not None:
        tags.append(("citation_pdf_url", download_url(pdf, absolute=True)))
    return tags


@bp.route("/reports/<slug>")
def detail(slug: str):
    report = queries.by_slug(slug)
    if report is None or not queries.can_see(report, current_user):
        abort(404)
    current, orphans = file_entries(report)
    return render_template(
        "reports/detail.html", report=report, who=audience(current_user),
        files=current, orphans=orphans, summary=paragraphs(report.summary),
        language=languages.name_of(report.language), citation=citation(report),
        canonical=external_url("reports.detail", slug=report.slug),
        highwire=highwire_tags(report) if report.is_listed_publicly else [])


# --- downloads ------------------------------------------------------------------------

@bp.route("/reports/<slug>/files/<int:file_id>/<filename>")
def download(slug: str, file_id: int, filename: str):
    """A file (current or earlier version) by its id; the slug and name in the address are
    checked against the database, and only the row's digest becomes a path."""
    row = db.session.get(ReportFile, file_id)
    if row is None or row.report.slug != slug or not queries.can_see(row.report,
                                                                     current_user):
        abort(404)
    if filename != row.filename:
        return redirect(download_url(row), 301)
    store = report_files.storage()
    if not report_files.SHA256.fullmatch(row.sha256) or not store.exists(row.sha256):
        log.error("report file %s (%s of report %s, sha256 %s) is missing from %s",
                  row.id, row.filename, slug, row.sha256, store.root)
        return render_error(404, f"The file “{row.filename}” is missing from the archive's "
                                 "storage. The problem has been logged; please tell the "
                                 "coalition's focal contacts.")
    response = send_file(store.path(row.sha256), mimetype=row.content_type,
                         as_attachment=row.content_type != report_files.PDF.content_type,
                         download_name=row.filename, conditional=True, etag=row.sha256,
                         last_modified=row.uploaded_at)
    if row.content_type == report_files.PDF.content_type:
        # The browser's own PDF viewer is an embedded plugin with inline styles: the
        # pages' policy (object-src 'none', no inline style) would leave it blank. This
        # answer is a PDF, never our HTML, so these allowances open nothing of ours.
        response.headers["Content-Security-Policy"] = PDF_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = (f"public, max-age={PUBLIC_MAX_AGE}"
                                         if row.report.is_listed_publicly
                                         else "private, no-store")
    if _is_full_download(response):
        writes_on_get(db.session)
        services.count_download(row)
        db.session.commit()
    return response


def _is_full_download(response: Response) -> bool:
    """A GET that sends the file from its first byte (not HEAD, not a 304, not the rest
    of an interrupted download)."""
    if request.method != "GET":
        return False
    if response.status_code == 200:
        return True
    return response.status_code == 206 and request.range is not None and \
        bool(request.range.ranges) and request.range.ranges[0][0] == 0
