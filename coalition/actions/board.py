"""What the board and the item page show: a plan's items grouped by objective with a cell
per fiscal year, the filters that narrow them, owners as each audience may see them, an
item's years with their history, and the per-year summary (counts by status, share done).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition import fiscal
from coalition.actions import queries, services
from coalition.actions.models import (
    UNFINISHED,
    ActionItem,
    ActionPlan,
    ItemOwner,
    ItemStatus,
    ItemYear,
    Objective,
    StatusUpdate,
)
from coalition.auth.models import User
from coalition.extensions import db

STATUSES = [(status.value, status.label) for status in ItemStatus]
HIDDEN_MEMBER = "a member"  # a member owner who has not agreed to be named in public
OTHER_ITEMS = "Other items"  # the heading of items under no objective


# --- owners ---------------------------------------------------------------------------

def owner_value(owner: ItemOwner) -> str:
    """How the owner filter names an owner: member-3 or organization-5."""
    if owner.member_id is not None:
        return f"member-{owner.member_id}"
    return f"organization-{owner.organization_id}"


def is_named(owner: ItemOwner, public: bool) -> bool:
    """Organizations are always named; a member, in public, only with their consent."""
    if owner.member_id is None or not public:
        return True
    return owner.member.shows("name")


def owner_label(owner: ItemOwner, public: bool) -> str:
    if owner.member_id is None:
        return owner.organization.display_name
    return owner.member.name if is_named(owner, public) else HIDDEN_MEMBER


def owner_labels(row: ItemYear, public: bool) -> list[str]:
    return [owner_label(owner, public) for owner in row.owners]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def owner_choices(items: list[ActionItem], public: bool) -> list[Choice]:
    """The members and organizations owning something in these items, by name (in public,
    only those who may be named: the others cannot be picked out)."""
    seen: dict[str, str] = {}
    for item in items:
        for row in item.years:
            for owner in row.owners:
                if is_named(owner, public):
                    seen.setdefault(owner_value(owner), owner_label(owner, public))
    return sorted((Choice(value, label) for value, label in seen.items()),
                  key=lambda choice: (choice.label.casefold(), choice.value))


# --- the plan's items -----------------------------------------------------------------

def plan_items(plan: ActionPlan) -> list[ActionItem]:
    """The plan's current items (not archived) with their years and owners, in order."""
    return list(db.session.scalars(
        select(ActionItem)
        .where(ActionItem.plan_id == plan.id, ActionItem.is_archived.is_(False))
        .order_by(ActionItem.position, ActionItem.id)
        .options(selectinload(ActionItem.years).selectinload(ItemYear.owners)
                 .selectinload(ItemOwner.member),
                 selectinload(ActionItem.years).selectinload(ItemYear.owners)
                 .selectinload(ItemOwner.organization))))


def objective_choices(plan: ActionPlan, items: list[ActionItem]) -> list[Choice]:
    used = {item.objective_id for item in items}
    return [Choice(str(objective.id), objective.title) for objective in plan.objectives
            if not objective.is_archived or objective.id in used]


# --- filters --------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFilter:
    objective_id: int | None = None
    owner: str = ""  # member-3 or organization-5
    status: str = ""
    year: int | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(self.objective_id or self.owner or self.status or self.year)

    @property
    def narrows_years(self) -> bool:
        """Whether an item needs one of its years to match (owner, status or year)."""
        return bool(self.owner or self.status or self.year)

    def matches(self, row: ItemYear) -> bool:
        return ((not self.year or row.year == self.year) and
                (not self.status or row.status == self.status) and
                (not self.owner or self.owner in {owner_value(o) for o in row.owners}))

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links that keep them)."""
        values = {"objective": self.objective_id or "", "owner": self.owner,
                  "status": self.status, "year": self.year or ""}
        return {name: str(value) for name, value in values.items() if value}


def _integer(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 \
        else None


def parse_filter(args, plan: ActionPlan, objectives: list[Choice], owners: list[Choice]
                 ) -> BoardFilter:
    """The filters from a query string, leniently: a value that is not one of the
    choices is ignored (links get mistyped and shared)."""
    objective = _integer(args.get("objective"))
    year = _integer(args.get("year"))
    owner = args.get("owner", "")
    status = args.get("status", "")
    return BoardFilter(
        objective_id=objective if str(objective) in {c.value for c in objectives} else None,
        owner=owner if owner in {c.value for c in owners} else "",
        status=status if status in {value for value, _ in STATUSES} else "",
        year=year if year in plan.years else None)


# --- the board ------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    year: int
    label: str
    is_closed: bool


@dataclass
class Cell:
    year: int
    row: ItemYear | None  # None: the item does not run in this year
    owners: list[str] = field(default_factory=list)


@dataclass
class Row:
    item: ActionItem
    cells: list[Cell]


@dataclass
class Group:
    title: str
    objective: Objective | None
    rows: list[Row] = field(default_factory=list)


def columns(plan: ActionPlan, filters: BoardFilter) -> list[Column]:
    closed = plan.closed_years
    return [Column(year, fiscal.label(year), year in closed) for year in plan.years
            if not filters.year or year == filters.year]


def board(plan: ActionPlan, items: list[ActionItem], filters: BoardFilter, public: bool
          ) -> tuple[list[Column], list[Group]]:
    """The columns (fiscal years) and the items that pass the filters, under their
    objectives in the plan's order (items under no objective last)."""
    shown = columns(plan, filters)
    groups = {objective.id: Group(objective.title, objective) for objective in plan.objectives}
    loose = Group(OTHER_ITEMS, None)
    for item in items:
        if filters.objective_id and item.objective_id != filters.objective_id:
            continue
        if filters.narrows_years and not any(filters.matches(row) for row in item.years):
            continue
        cells = []
        for column in shown:
            row = item.year(column.year)
            cells.append(Cell(column.year, row, owner_labels(row, public) if row else []))
        group = groups.get(item.objective_id, loose) if item.objective_id else loose
        group.rows.append(Row(item, cells))
    return shown, [group for group in [*groups.values(), loose] if group.rows]


# --- the summary ----------------------------------------------------------------------

@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class YearSummary:
    year: int
    label: str
    is_closed: bool
    counts: list[StatusCount]

    @property
    def total(self) -> int:
        return sum(count.count for count in self.counts)

    @property
    def done(self) -> int:
        return next(c.count for c in self.counts if c.status == ItemStatus.DONE.value)

    @property
    def share_done(self) -> float | None:
        """Done items out of all the year's items (None for a year without items)."""
        return self.done / self.total if self.total else None


def summary(plan: ActionPlan, items: list[ActionItem]) -> list[YearSummary]:
    """Per fiscal year of the plan: how many of its items are in each status."""
    closed = plan.closed_years
    summaries = []
    for year in plan.years:
        statuses = [row.status for item in items for row in item.years if row.year == year]
        summaries.append(YearSummary(year, fiscal.label(year), year in closed, [
            StatusCount(value, label, statuses.count(value)) for value, label in STATUSES]))
    return summaries


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


# --- an item's page -------------------------------------------------------------------

@dataclass
class HistoryEntry:
    update: StatusUpdate
    year_label: str  # the year the change was made in (earlier for a carried-over row)
    who: str | None  # None for the public, who sees what changed but not who changed it


def actor_name(update: StatusUpdate) -> str:
    """Who made a change, as members know them: the login's name (not its e-mail), or
    the label of the command that made it."""
    user = db.session.get(User, update.actor_id) if update.actor_id else None
    return user.name if user is not None else update.actor_label


@dataclass
class ItemYearView:
    row: ItemYear
    is_closed: bool
    owners: list[str]
    history: list[HistoryEntry]
    can_update: bool
    can_manage: bool
    carry_to: str | None  # the next year's label, when a focal contact may carry it over
    carried_from: str | None  # the label of the year it was carried over from


def item_years(item: ActionItem, user, public: bool) -> list[ItemYearView]:
    """Each year the item runs in, with its history and what this person may do there."""
    plan = item.plan
    closed = plan.closed_years
    manager = services.can_manage(user)
    views = []
    for row in item.years:
        is_open = row.year not in closed
        history = [HistoryEntry(update, update.item_year.label,
                                None if public else actor_name(update))
                   for update in queries.history(row)]
        following = row.year + 1
        carry = (manager and row.status in UNFINISHED and following <= plan.last_year and
                 following not in closed and item.year(following) is None)
        source = db.session.get(ItemYear, row.carried_from_id) if row.carried_from_id \
            else None
        views.append(ItemYearView(
            row=row, is_closed=not is_open, owners=owner_labels(row, public),
            history=history, can_update=is_open and services.can_update(user, row),
            can_manage=manager and is_open,
            carry_to=fiscal.label(following) if carry else None,
            carried_from=source.label if source else None))
    return views
