"""The report archive in the JSON API: GET /api/v1/reports (the page's filters and search)
and GET /api/v1/reports/<slug>. Anonymous callers see public reports; signed-in callers
also the members-only ones; focal contacts also drafts and, on request, the archived ones.
See docs/api.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request

from coalition.api import params
from coalition.api.auth import ApiError, caller, install, invalid_parameter
from coalition.errors import ValidationError
from coalition.members.visibility import FOCAL, audience
from coalition.reports import languages, queries, services
from coalition.reports.models import Report, ReportFile, ReportType
from coalition.urls import external_url

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
install(bp)

PER_PAGE = queries.PAGE_SIZE
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200
PARAMETERS = ("q", "type", "year", "language", "tag", "sort", "archived", "page", "per_page")
REPEATABLE = ("tag",)
YES, NO = ("true", "1"), ("false", "0")


# --- parameters -----------------------------------------------------------------------









def _year() -> int | None:
    value = params.text("year")
    if not value:
        return None
    if not (value.isdigit() and len(value) == 4):
        raise invalid_parameter("year", f"must be a year of four digits (2016), not {value!r}.")
    return int(value)


def _language() -> str:
    value = params.text("language")
    if value and value not in languages.LANGUAGES:
        raise invalid_parameter("language", f"{value!r} is not a language code Coalition "
                                            "knows (ISO 639-1, such as en, fr, es).")
    return value


def _tags() -> list[str]:
    try:
        return services.clean_tags(request.args.getlist("tag"))
    except ValidationError as error:
        raise invalid_parameter("tag", error.message) from None


def _archived(who: str) -> bool:
    value = params.text("archived").lower()
    if value not in (*YES, *NO, ""):
        raise invalid_parameter("archived", f"must be true or false, not {value!r}.")
    if value in YES and who != FOCAL:
        raise invalid_parameter("archived", "only a focal contact can list archived reports.")
    return value in YES


def report_filter(who: str) -> queries.ReportFilter:
    params.check_parameters(PARAMETERS, REPEATABLE)
    q = params.text("q")
    if len(q) > MAX_QUERY_LENGTH:
        raise invalid_parameter("q", f"keep it under {MAX_QUERY_LENGTH} characters.")
    return queries.ReportFilter(
        q=q,
        type=params.one_of("type", [kind.value for kind in ReportType]),
        year=_year(),
        language=_language(),
        tags=_tags(),
        sort=params.one_of("sort", list(queries.SORTS)),
        archived=_archived(who),
    )


# --- answers --------------------------------------------------------------------------

def _time(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, as the feed writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _file(report: Report, row: ReportFile) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "pages": row.page_count,
        "sha256": row.sha256,
        "url": external_url("reports.download", slug=report.slug, file_id=row.id,
                            filename=row.filename),
        "download_count": row.download_count,
        "uploaded_at": _time(row.uploaded_at),
    }


def _files(report: Report) -> list[dict[str, Any]]:
    """The current files, each with the versions it replaced, newest first."""
    replaced = {row.replaced_by_id: row for row in report.files if row.replaced_by_id}
    answer = []
    for row in report.current_files:
        earlier = []
        previous = replaced.get(row.id)
        while previous is not None:
            earlier.append({**_file(report, previous),
                            "replaced_at": _time(previous.replaced_at)})
            previous = replaced.get(previous.id)
        answer.append({**_file(report, row), "earlier_versions": earlier})
    return answer


def report_json(report: Report) -> dict[str, Any]:
    return {
        "slug": report.slug,
        "title": report.title,
        "type": {"code": report.type, "label": report.type_label},
        "published_on": report.published_on.isoformat(),
        "fiscal_year": report.fiscal_year,
        "authors": report.author_list,
        "summary": report.summary,
        "language": {"code": report.language, "name": languages.name_of(report.language)},
        "tags": report.tags,
        "visibility": report.visibility,
        "archived": report.is_archived,
        "external_url": report.external_url,
        "url": external_url("reports.detail", slug=report.slug),
        "files": _files(report),
        "download_count": report.download_count,
        "first_published_at": _time(report.first_published_at),
        "updated_at": _time(report.updated_at),
    }


def _facets(facets: queries.Facets) -> dict[str, list[dict[str, Any]]]:
    return {name: [{"value": value.value, "label": value.label, "count": value.count,
                    "selected": value.selected} for value in getattr(facets, name)]
            for name in ("type", "year", "language", "tag")}


def _page_url(number: int) -> str:
    values: dict[str, Any] = {name: request.args.getlist(name) for name in request.args}
    values["page"] = number
    return external_url("reports_api.reports", **values)


# --- endpoints ------------------------------------------------------------------------

@bp.get("/reports")
def reports():
    who = audience(caller())
    filters = report_filter(who)
    page = params.whole_number("page", 1)
    per_page = params.whole_number("per_page", PER_PAGE, MAX_PER_PAGE)
    result = queries.listing(filters, who, page, per_page)
    return jsonify({
        "reports": [report_json(report) for report in result.items],
        "facets": _facets(queries.facets(filters, who)),
        "sort": filters.effective_sort,
        "page": result.page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
        "next": _page_url(result.page + 1) if result.has_next else None,
        "prev": _page_url(result.page - 1) if result.has_prev else None,
    })


@bp.get("/reports/<slug>")
def report(slug: str):
    params.check_parameters(())
    found = queries.by_slug(slug)
    # A report the caller may not see answers exactly as one that does not exist.
    if found is None or not queries.can_see(found, caller()):
        raise ApiError(404, f"There is no report {slug!r}, or you may not see it.")
    return jsonify(report_json(found))
