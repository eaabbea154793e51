"""The JSON API (/api/v1): the member directory and the organizations, for signed-in
callers (browser session or personal access token). See docs/api.md."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import func, select

from coalition.api import params
from coalition.api.auth import ApiError, install, invalid_parameter, require_caller
from coalition.extensions import db
from coalition.members import countries, queries
from coalition.members.models import (
    Member,
    MemberStatus,
    Organization,
    Region,
    StakeholderGroup,
)
from coalition.members.visibility import FOCAL, audience, visible_fields

bp = Blueprint("api", __name__, url_prefix="/api/v1")
install(bp)

PER_PAGE = queries.PAGE_SIZE
MAX_PER_PAGE = 200
MAX_QUERY_LENGTH = 200
EVERY_STATUS = "all"
PAGING = ("page", "per_page")
MEMBER_PARAMETERS = ("q", "stakeholder_group", "region", "country", "status",
                     "organization_id", "sort", *PAGING)


# --- parameters -----------------------------------------------------------------------









def _country() -> str:
    value = params.text("country").upper()
    if value and value not in countries.all_countries():
        raise invalid_parameter("country", f"{value!r} is not an ISO 3166-1 alpha-2 country "
                                           "code (for example KE or BR).")
    return value


def _status(who: str) -> str:
    """Focal contacts filter by any status (or `all`); members see active members only."""
    value = params.text("status")
    if who != FOCAL:
        if value not in ("", MemberStatus.ACTIVE.value):
            raise invalid_parameter("status", "members see active members only; only a focal "
                                              "contact can filter by another status.")
        return MemberStatus.ACTIVE.value
    if not value:
        return MemberStatus.ACTIVE.value if "status" not in request.args else ""
    if value == EVERY_STATUS:
        return ""
    return params.one_of("status", [s.value for s in MemberStatus] + [EVERY_STATUS])


def _member_filter(who: str) -> queries.DirectoryFilter:
    params.check_parameters(MEMBER_PARAMETERS)
    q = params.text("q")
    if len(q) > MAX_QUERY_LENGTH:
        raise invalid_parameter("q", f"keep it under {MAX_QUERY_LENGTH} characters.")
    return queries.DirectoryFilter(
        q=q,
        stakeholder_group=params.one_of("stakeholder_group", [g.value for g in StakeholderGroup]),
        region=params.one_of("region", [r.value for r in Region]),
        country=_country(),
        status=_status(who),
        organization_id=params.whole_number("organization_id", None),
        sort=params.one_of("sort", list(queries.SORTS)) or "name",
    )


def _paging() -> tuple[int, int]:
    page = params.whole_number("page", 1)
    per_page = params.whole_number("per_page", PER_PAGE, MAX_PER_PAGE)
    assert page is not None and per_page is not None
    return page, per_page


# --- answers --------------------------------------------------------------------------

def _page_url(number: int) -> str:
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def _page_body(items: list[Any], page: int, per_page: int, total: int, capped: bool,
               has_next: bool) -> dict[str, Any]:
    last = max(1, -(-total // per_page))
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "total_is_lower_bound": capped,
        "next": _page_url(page + 1) if has_next else None,
        # Past the end, "prev" leads back to the last page that has items.
        "prev": _page_url(page - 1 if capped else min(page - 1, last)) if page > 1 else None,
    }


def _coded(code: str | None, label: str | None) -> dict[str, str] | None:
    return {"code": code, "label": label} if code else None


def _organization(organization: Organization, active_members: int) -> dict[str, Any]:
    group = StakeholderGroup(organization.stakeholder_group) \
        if organization.stakeholder_group else None
    country = organization.country
    return {
        "id": organization.id,
        "name": organization.name,
        "acronym": organization.acronym,
        "stakeholder_group": _coded(group.value, group.label) if group else None,
        "country": {"code": country, "name": countries.name_of(country)} if country else None,
        "website": organization.website,
        "active_members": active_members,
    }


# --- endpoints ------------------------------------------------------------------------

@bp.get("/members")
def members():
    who = audience(require_caller())
    filters = _member_filter(who)
    page, per_page = _paging()
    result = queries.directory_page(filters, page, per_page)
    # With the count capped, more pages may follow the last one counted.
    has_next = result.has_next or (result.total_capped and len(result.items) == per_page)
    items = [visible_fields(member, who) for member in result.items]
    return jsonify(_page_body(items, result.page, per_page, result.total,
                              result.total_capped, has_next))


@bp.get("/members/<int:member_id>")
def member(member_id: int):
    who = audience(require_caller())
    record = db.session.get(Member, member_id)
    # Members see active members only, as in the directory; anything else looks absent.
    if record is None or (who != FOCAL and record.status != MemberStatus.ACTIVE):
        raise ApiError(404, f"There is no member {member_id}, or you may not see them.")
    return jsonify(visible_fields(record, who))


@bp.get("/organizations")
def organizations():
    require_caller()
    params.check_parameters(PAGING)
    page, per_page = _paging()
    active = select(Organization).where(Organization.is_archived.is_(False))
    total = db.session.scalar(select(func.count()).select_from(active.subquery())) or 0
    rows = list(db.session.scalars(
        active.order_by(func.lower(Organization.name), Organization.id)
        .limit(per_page).offset((page - 1) * per_page)))
    counts = queries.member_counts_by_organization([organization.id for organization in rows])
    items = [_organization(organization, counts.get(organization.id, 0))
             for organization in rows]
    return jsonify(_page_body(items, page, per_page, total, False, page * per_page < total))
