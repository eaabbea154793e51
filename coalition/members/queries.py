"""Reading members and organizations: the directory's search, filters, sort and pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import selectinload

from coalition.extensions import db
from coalition.members.models import Member, MemberStatus, Organization
from coalition.pagination import Page

PAGE_SIZE = 50
COUNT_LIMIT = 10_000  # beyond this a listing says "more than 10,000" instead of counting

SORTS = {
    "name": (Member.sort_name, Member.id),
    "-name": (Member.sort_name.desc(), Member.id.desc()),
    "joined": (Member.joined_on, Member.id),
    "-joined": (Member.joined_on.desc(), Member.id.desc()),
    "country": (Member.country, Member.sort_name, Member.id),
    "group": (Member.stakeholder_group, Member.sort_name, Member.id),
}


@dataclass(frozen=True)
class DirectoryFilter:
    q: str = ""  # name, e-mail or organization
    stakeholder_group: str = ""
    region: str = ""
    country: str = ""
    status: str = MemberStatus.ACTIVE.value  # "" means every status
    organization_id: int | None = None
    sort: str = "name"
    public: bool = False  # only members listed publicly, searchable only by what they show


def directory_query(filters: DirectoryFilter) -> Select:
    """The members `filters` select, sorted; not yet limited to a page. (Flags are compared
    with `= true`, not `IS TRUE`, so the databases can use them in an index.)"""
    query = select(Member)
    conditions = []
    if filters.public:
        conditions += [Member.listed_publicly == true(),
                       Member.status == MemberStatus.ACTIVE.value]
    elif filters.status:
        conditions.append(Member.status == filters.status)
    if filters.stakeholder_group:
        conditions.append(Member.stakeholder_group == filters.stakeholder_group)
        if filters.public:
            conditions.append(Member.show_stakeholder_group == true())
    if filters.region:
        conditions.append(Member.region == filters.region)
        if filters.public:
            conditions.append(Member.show_country == true())
    if filters.country:
        conditions.append(Member.country == filters.country)
        if filters.public:
            conditions.append(Member.show_country == true())
    if filters.organization_id:
        conditions.append(Member.organization_id == filters.organization_id)
        if filters.public:
            conditions.append(Member.show_organization == true())
    term = " ".join(filters.q.split()).lower()
    if term:
        conditions.append(_search(term, filters.public))
    if conditions:
        query = query.where(and_(*conditions))
    order = SORTS.get(filters.sort, SORTS["name"])
    if filters.public and filters.sort not in ("name", "-name"):
        order = SORTS["name"]  # sorting by a hidden field would reveal it
    return query.order_by(*order)


def _search(term: str, public: bool):
    """Name, e-mail or organization containing `term`; the public searches only what members
    chose to show (a hidden name must not be findable by typing it)."""
    pattern = f"%{_escape(term)}%"
    organization_match = Member.organization_id.in_(
        select(Organization.id).where(or_(
            func.lower(Organization.name).like(pattern, escape="\\"),
            func.lower(Organization.acronym).like(pattern, escape="\\"))))
    if public:
        return or_(and_(Member.show_name == true(), Member.sort_name.like(pattern, escape="\\")),
                    and_(Member.show_organization == true(), organization_match))
    return or_(Member.sort_name.like(pattern, escape="\\"),
               Member.email.like(pattern, escape="\\"),
               func.lower(Member.organization_name).like(pattern, escape="\\"),
               organization_match)


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def directory_page(filters: DirectoryFilter, page: int = 1,
                   per_page: int = PAGE_SIZE) -> Page:
    """One page of the directory. The count stops at COUNT_LIMIT, so a page costs the same
    with a hundred thousand members as with a thousand (Page.total_capped says so)."""
    query = directory_query(filters)
    total = db.session.scalar(select(func.count()).select_from(
        query.order_by(None).with_only_columns(Member.id).limit(COUNT_LIMIT + 1).subquery()))
    pages = max(1, -(-min(total, COUNT_LIMIT) // per_page))
    page = max(1, page)
    # The organizations of the page come in a second small query: a join here would keep
    # the database from walking the name index and stopping after one page.
    items = db.session.scalars(query.options(selectinload(Member.organization))
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, pages=max(pages, page), total=total,
                total_capped=total > COUNT_LIMIT)


def organizations(include_archived: bool = False) -> list[Organization]:
    query = select(Organization).order_by(func.lower(Organization.name))
    if not include_archived:
        query = query.where(Organization.is_archived.is_(False))
    return list(db.session.scalars(query))


def member_counts_by_organization(organization_ids: list[int] | None = None) -> dict[int, int]:
    """Active members per organization id: of every organization, or only of the ones given
    (one page's worth)."""
    query = (select(Member.organization_id, func.count())
             .where(Member.status == MemberStatus.ACTIVE.value,
                    Member.organization_id.isnot(None))
             .group_by(Member.organization_id))
    if organization_ids is not None:
        if not organization_ids:
            return {}
        query = query.where(Member.organization_id.in_(organization_ids))
    return dict(db.session.execute(query).all())


def active_members() -> list[Member]:
    """Every active member, in name order (for choosing people, e.g. owners)."""
    return list(db.session.scalars(select(Member).where(
        Member.status == MemberStatus.ACTIVE).order_by(Member.sort_name, Member.id)))
