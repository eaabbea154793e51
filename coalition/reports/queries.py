"""Reading the archive: who may see which report, the filtered and searched listing, and
the facet counts beside it. The page, the feed, the sitemap and the API all ask here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import aliased, selectinload

from coalition.extensions import db
from coalition.members.visibility import FOCAL, MEMBERS, PUBLIC, audience
from coalition.pagination import Page, paginate
from coalition.reports import languages, search
from coalition.reports.models import Report, ReportTag, ReportType, Visibility

PAGE_SIZE = 20
SORTS = ("relevance", "newest", "oldest", "title")
FACET_LIMIT = 30  # values shown per facet (the most frequent); tags can be many


@dataclass
class ReportFilter:
    q: str = ""
    type: str = ""
    year: int | None = None
    language: str = ""
    tags: list[str] = field(default_factory=list)
    sort: str = ""  # relevance when searching, newest otherwise
    archived: bool = False  # focal contacts only: the archived reports instead

    @property
    def words(self) -> list[str]:
        return search.terms(self.q)

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or self.words):
            return self.sort
        return "relevance" if self.words else "newest"

    @property
    def is_filtered(self) -> bool:
        return bool(self.words or self.type or self.year or self.language or self.tags)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facets:
    type: list[FacetValue]
    year: list[FacetValue]
    language: list[FacetValue]
    tag: list[FacetValue]


def visibilities(who: str) -> tuple[str, ...]:
    if who == FOCAL:
        return tuple(v.value for v in Visibility)
    if who == MEMBERS:
        return (Visibility.PUBLIC.value, Visibility.MEMBERS.value)
    return (Visibility.PUBLIC.value,)


def can_see(report: Report, user) -> bool:
    """Drafts and archived reports: focal contacts only; members-only: signed in."""
    who = audience(user)
    if report.is_archived and who != FOCAL:
        return False
    return report.visibility in visibilities(who)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def filtered(filters: ReportFilter, who: str) -> Select:
    """SELECT Report with every filter and the search applied, not yet ordered."""
    archived = filters.archived and who == FOCAL
    statement = select(Report).where(Report.is_archived.is_(archived),
                                     Report.visibility.in_(visibilities(who)))
    if filters.type:
        statement = statement.where(Report.type == filters.type)
    if filters.year:
        statement = statement.where(Report.published_on >= date(filters.year, 1, 1),
                                    Report.published_on < date(filters.year + 1, 1, 1))
    if filters.language:
        statement = statement.where(Report.language == filters.language)
    for tag in filters.tags:
        tagged = aliased(ReportTag)  # the tag facet joins report_tags itself
        statement = statement.where(exists().where(tagged.report_id == Report.id,
                                                   tagged.tag == tag))
    return search.matching(statement, filters.words, _dialect())


def ordered(statement: Select, filters: ReportFilter) -> Select:
    sort = filters.effective_sort
    if sort == "relevance":
        return search.ranked(statement, filters.words, _dialect())
    if sort == "oldest":
        return statement.order_by(Report.published_on, Report.id)
    if sort == "title":
        return statement.order_by(func.lower(Report.title), Report.id)
    return statement.order_by(Report.published_on.desc(), Report.id.desc())


def listing(filters: ReportFilter, who: str, page: int, per_page: int = PAGE_SIZE) -> Page:
    statement = ordered(filtered(filters, who), filters).options(
        selectinload(Report.tag_rows), selectinload(Report.files))
    return paginate(statement, page, per_page)


def facets(filters: ReportFilter, who: str) -> Facets:
    """Counts of each facet's values among the reports the current filters find (so every
    count is what a click on that value would show)."""
    matches = filtered(filters, who)

    def grouped(column, statement=matches) -> list[tuple]:
        # Grouping the filtered statement itself (not `id IN (the filtered ids)`) lets the
        # database read the matching rows once per facet, from the listing's index.
        return db.session.execute(
            statement.with_only_columns(column, func.count()).group_by(column)
            .order_by(func.count().desc(), column).limit(FACET_LIMIT)).all()

    year = func.extract("year", Report.published_on)
    tagged = matches.join(ReportTag, ReportTag.report_id == Report.id)
    return Facets(
        type=[FacetValue(code, ReportType(code).label, count, code == filters.type)
              for code, count in grouped(Report.type)],
        year=sorted((FacetValue(str(int(value)), str(int(value)), count,
                                int(value) == filters.year)
                     for value, count in grouped(year)),
                    key=lambda facet: facet.value, reverse=True),
        language=[FacetValue(code, languages.name_of(code), count, code == filters.language)
                  for code, count in grouped(Report.language)],
        tag=[FacetValue(tag, tag, count, tag in filters.tags)
             for tag, count in grouped(ReportTag.tag, tagged)],
    )


def by_slug(slug: str) -> Report | None:
    return db.session.scalar(select(Report).where(Report.slug == slug).options(
        selectinload(Report.files), selectinload(Report.tag_rows)))


def public_reports(limit: int | None = None) -> list[Report]:
    """Public, not archived, newest first: the feed and the sitemap."""
    statement = ordered(filtered(ReportFilter(), PUBLIC), ReportFilter()).options(
        selectinload(Report.tag_rows), selectinload(Report.files))
    if limit:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def known_tags() -> list[str]:
    return list(db.session.scalars(select(ReportTag.tag).distinct().order_by(ReportTag.tag)))
