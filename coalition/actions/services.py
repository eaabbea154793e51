"""Everything that writes the action plan: plans, objectives, items and the fiscal years
they run in, owners, status changes (with their rules and conflict detection), carrying
an item over, and closing a year."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from coalition import fiscal
from coalition.actions import notifications
from coalition.actions.models import (
    UNFINISHED,
    ActionItem,
    ActionPlan,
    ItemOwner,
    ItemStatus,
    ItemYear,
    Objective,
    StatusUpdate,
    YearClosure,
)
from coalition.audit import services as audit
from coalition.auth.models import Actor, User, is_active_focal_contact
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.members.models import Member, MemberStatus, Organization

DONE, DROPPED, BLOCKED = ItemStatus.DONE.value, ItemStatus.DROPPED.value, ItemStatus.BLOCKED.value
# Which status may follow which. Dropping is the focal contact's call alone; re-opening
# what was done or dropped, and saying an item is blocked, need a note saying why.
TRANSITIONS: dict[str, set[str]] = {
    "planned": {"in_progress", "done", "blocked", "dropped"},
    "in_progress": {"planned", "done", "blocked", "dropped"},
    "blocked": {"planned", "in_progress", "done", "dropped"},
    "done": {"in_progress", "planned"},
    "dropped": {"planned", "in_progress"},
}
FOCAL_ONLY = {DROPPED}
NOTE_NEEDED_FROM = {DONE, DROPPED}
NOTE_NEEDED_TO = {BLOCKED}
MAX_YEARS = 15


class Conflict(Exception):
    """Someone else changed the item-year since the form was loaded; nothing was saved."""

    def __init__(self, item_year_id: int):
        super().__init__("Someone else changed this item while you were editing it.")
        self.item_year_id = item_year_id
        self.message = str(self)


@dataclass
class PlanInput:
    title: str = ""
    description: str | None = None
    first_year: int | None = None  # 2016 for FY16
    last_year: int | None = None


@dataclass
class ItemInput:
    title: str = ""
    description: str | None = None
    objective_id: int | None = None
    years: list[int] = field(default_factory=list)


# --- permissions ----------------------------------------------------------------------

def can_manage(actor: Actor | None) -> bool:
    return is_active_focal_contact(actor)


def _require_manager(actor: Actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied("Only a focal contact can change the action plan.")


def member_of(actor: Actor | None) -> Member | None:
    if not isinstance(actor, User) or not actor.is_active or actor.member_id is None:
        return None
    member = db.session.get(Member, actor.member_id)
    return member if member is not None and member.status == MemberStatus.ACTIVE else None


def owns(actor: Actor | None, item_year: ItemYear) -> bool:
    """An active member owns an item-year directly or through their organization."""
    member = member_of(actor)
    if member is None:
        return False
    return any(owner.member_id == member.id or
               (owner.organization_id is not None and
                owner.organization_id == member.organization_id)
               for owner in item_year.owners)


def can_update(actor: Actor | None, item_year: ItemYear) -> bool:
    return can_manage(actor) or owns(actor, item_year)


def allowed_statuses(actor: Actor | None, item_year: ItemYear) -> list[str]:
    """The statuses this person may move the item-year to (the current one included, for
    a note-only update), in the vocabulary's order."""
    if is_closed(item_year) or not can_update(actor, item_year):
        return []
    allowed = TRANSITIONS[item_year.status] | {item_year.status}
    if not can_manage(actor):
        allowed -= FOCAL_ONLY - {item_year.status}
        if item_year.status == DROPPED:
            return []
    return [status.value for status in ItemStatus if status.value in allowed]


def note_needed(from_status: str, to_status: str) -> bool:
    return from_status != to_status and (from_status in NOTE_NEEDED_FROM or
                                         to_status in NOTE_NEEDED_TO)


def is_closed(item_year: ItemYear) -> bool:
    return item_year.year in item_year.item.plan.closed_years


# --- checking input -------------------------------------------------------------------

def _text(value: str | None, name: str, max_length: int, required: str | None = None
          ) -> str | None:
    value = "\n".join(" ".join(line.split()) for line in (value or "").strip().splitlines())
    if len(value) > max_length:
        raise ValidationError(name, f"Keep it under {max_length} characters.")
    if required and not value:
        raise ValidationError(name, required)
    return value or None


def _years(first: int | None, last: int | None) -> tuple[int, int]:
    if first is None or last is None:
        raise ValidationError("first_year", "Give the first and the last fiscal year.")
    if not 1990 <= first <= 2100 or not 1990 <= last <= 2100:
        raise ValidationError("first_year", "Give fiscal years such as FY16 (or 2016).")
    if last < first:
        raise ValidationError("last_year", "The last fiscal year comes after the first.")
    if last - first + 1 > MAX_YEARS:
        raise ValidationError("last_year", f"A plan covers at most {MAX_YEARS} fiscal years.")
    return first, last


# --- plans ----------------------------------------------------------------------------

def create_plan(actor: Actor, data: PlanInput) -> ActionPlan:
    _require_manager(actor)
    first, last = _years(data.first_year, data.last_year)
    plan = ActionPlan(title=_text(data.title, "title", 300, "Give the plan a title."),
                      description=_text(data.description, "description", 20000),
                      first_year=first, last_year=last, is_published=False,
                      is_archived=False)
    db.session.add(plan)
    audit.record(actor, "create", plan, audit.diff({}, audit.snapshot(plan, PLAN_FIELDS)))
    return plan


PLAN_FIELDS = ("title", "description", "first_year", "last_year", "is_published",
               "is_archived")


def update_plan(actor: Actor, plan: ActionPlan, data: PlanInput) -> None:
    _require_manager(actor)
    first, last = _years(data.first_year, data.last_year)
    used = db.session.execute(select(func.min(ItemYear.year), func.max(ItemYear.year))
                              .join(ActionItem).where(ActionItem.plan_id == plan.id)).one()
    if used[0] is not None and (used[0] < first or used[1] > last):
        raise ValidationError("first_year", f"Items run from {fiscal.label(used[0])} to "
                                            f"{fiscal.label(used[1])}: the plan must cover "
                                            "those years.")
    before = audit.snapshot(plan, PLAN_FIELDS)
    plan.title = _text(data.title, "title", 300, "Give the plan a title.")
    plan.description = _text(data.description, "description", 20000)
    plan.first_year, plan.last_year = first, last
    changes = audit.diff(before, audit.snapshot(plan, PLAN_FIELDS))
    if changes:
        audit.record(actor, "update", plan, changes)


def set_published(actor: Actor, plan: ActionPlan, published: bool) -> None:
    _require_manager(actor)
    if plan.is_published != published:
        plan.is_published = published
        audit.record(actor, "publish" if published else "unpublish", plan,
                     {"is_published": [not published, published]})


# --- objectives and items -------------------------------------------------------------

def _next_position(column, plan_id: int) -> int:
    return (db.session.scalar(select(func.max(column.class_.position))
                              .where(column == plan_id)) or 0) + 1


def create_objective(actor: Actor, plan: ActionPlan, title: str,
                     description: str | None = None) -> Objective:
    _require_manager(actor)
    objective = Objective(plan=plan, position=_next_position(Objective.plan_id, plan.id),
                          title=_text(title, "title", 300, "Give the objective a title."),
                          description=_text(description, "description", 5000),
                          is_archived=False)
    db.session.add(objective)
    audit.record(actor, "create", objective, {"title": [None, objective.title]})
    return objective


def update_objective(actor: Actor, objective: Objective, title: str,
                     description: str | None = None) -> None:
    _require_manager(actor)
    before = audit.snapshot(objective, ("title", "description"))
    objective.title = _text(title, "title", 300, "Give the objective a title.")
    objective.description = _text(description, "description", 5000)
    changes = audit.diff(before, audit.snapshot(objective, ("title", "description")))
    if changes:
        audit.record(actor, "update", objective, changes)


def _objective_of(plan: ActionPlan, objective_id: int | None) -> Objective | None:
    if objective_id is None:
        return None
    objective = db.session.get(Objective, objective_id)
    if objective is None or objective.plan_id != plan.id:
        raise ValidationError("objective_id", "Choose an objective of this plan.")
    return objective


def _check_years(plan: ActionPlan, years: Iterable[int]) -> list[int]:
    years = sorted(set(years))
    if not years:
        raise ValidationError("years", "Choose at least one fiscal year.")
    outside = [y for y in years if not plan.first_year <= y <= plan.last_year]
    if outside:
        raise ValidationError("years", f"{fiscal.label(outside[0])} is outside the plan "
                                       f"({fiscal.label(plan.first_year)}–"
                                       f"{fiscal.label(plan.last_year)}).")
    return years


def create_item(actor: Actor, plan: ActionPlan, data: ItemInput) -> ActionItem:
    _require_manager(actor)
    objective = _objective_of(plan, data.objective_id)
    years = _check_years(plan, data.years)
    closed = [y for y in years if y in plan.closed_years]
    if closed:
        raise ValidationError("years", f"{fiscal.label(closed[0])} is closed.")
    item = ActionItem(plan=plan, objective=objective,
                      position=_next_position(ActionItem.plan_id, plan.id),
                      title=_text(data.title, "title", 300, "Give the item a title."),
                      description=_text(data.description, "description", 5000),
                      is_archived=False)
    db.session.add(item)
    for year in years:
        db.session.add(ItemYear(item=item, year=year, status=ItemStatus.PLANNED.value))
    audit.record(actor, "create", item, {"title": [None, item.title],
                                         "years": [None, [fiscal.label(y) for y in years]]})
    return item


def update_item(actor: Actor, item: ActionItem, data: ItemInput) -> None:
    """Title, description, objective, and the years it runs in (a year can be taken away
    only while nobody has updated it and it is not closed)."""
    _require_manager(actor)
    plan = item.plan
    objective = _objective_of(plan, data.objective_id)
    years = _check_years(plan, data.years)
    current = {row.year: row for row in item.years}
    for year in set(years) - set(current):
        if year in plan.closed_years:
            raise ValidationError("years", f"{fiscal.label(year)} is closed.")
    for year in set(current) - set(years):
        row = current[year]
        if row.updates or year in plan.closed_years or row.owners:
            raise ValidationError("years", f"{fiscal.label(year)} has owners or a history, "
                                           "so it stays (drop the item in that year "
                                           "instead).")
    before = {"title": item.title, "description": item.description,
              "objective_id": item.objective_id,
              "years": [fiscal.label(y) for y in sorted(current)]}
    item.title = _text(data.title, "title", 300, "Give the item a title.")
    item.description = _text(data.description, "description", 5000)
    item.objective = objective
    for year in set(years) - set(current):
        db.session.add(ItemYear(item=item, year=year, status=ItemStatus.PLANNED.value))
    for year in set(current) - set(years):
        item.years.remove(current[year])
        db.session.delete(current[year])  # never updated, never owned: nothing is lost
    db.session.flush()
    changes = audit.diff(before, {"title": item.title, "description": item.description,
                                  "objective_id": item.objective_id,
                                  "years": [fiscal.label(y) for y in years]})
    if changes:
        audit.record(actor, "update", item, changes)


# --- owners and tracking --------------------------------------------------------------

def set_owners(actor: Actor, item_year: ItemYear, member_ids: Iterable[int],
               organization_ids: Iterable[int], notify: bool = True) -> list[Member]:
    """Replace the owners; new ones are told by e-mail (members directly; for an
    organization, its active members) unless `notify` is False (the demo's fictional
    history). Returns the members told."""
    _require_manager(actor)
    if is_closed(item_year):
        raise ValidationError("owners", f"{item_year.label} is closed.")
    member_ids, organization_ids = set(member_ids), set(organization_ids)
    members = list(db.session.scalars(select(Member).where(Member.id.in_(member_ids))))
    organizations = list(db.session.scalars(select(Organization).where(
        Organization.id.in_(organization_ids))))
    if len(members) != len(member_ids) or any(m.status != MemberStatus.ACTIVE
                                              for m in members):
        raise ValidationError("owners", "Owners must be active members.")
    if len(organizations) != len(organization_ids) or any(o.is_archived
                                                          for o in organizations):
        raise ValidationError("owners", "Choose organizations from the list.")
    before_members = {o.member_id for o in item_year.owners if o.member_id}
    before_orgs = {o.organization_id for o in item_year.owners if o.organization_id}
    if (before_members, before_orgs) == (member_ids, organization_ids):
        return []
    item_year.owners = (
        [o for o in item_year.owners if o.member_id in member_ids or
         o.organization_id in organization_ids] +
        [ItemOwner(member_id=m) for m in sorted(member_ids - before_members)] +
        [ItemOwner(organization_id=o) for o in sorted(organization_ids - before_orgs)])
    db.session.flush()
    audit.record(actor, "set_owners", item_year,
                 {"members": [sorted(before_members), sorted(member_ids)],
                  "organizations": [sorted(before_orgs), sorted(organization_ids)]},
                 summary=f"{item_year.item.title} {item_year.label}")
    told = [m for m in members if m.id not in before_members]
    new_orgs = organization_ids - before_orgs
    if new_orgs:
        told += [m for m in db.session.scalars(select(Member).where(
            Member.organization_id.in_(new_orgs), Member.status == MemberStatus.ACTIVE))
            if m not in told]
    told = [m for m in told if m.email] if notify else []
    for member in told:
        notifications.owner_assigned(member, item_year)
    return told


def update_tracking(actor: Actor, item_year: ItemYear, due_on: date | None,
                    expected_version: int | None = None) -> None:
    _require_manager(actor)
    if is_closed(item_year):
        raise ValidationError("due_on", f"{item_year.label} is closed.")
    _check_version(item_year, expected_version)
    if item_year.due_on != due_on:
        audit.record(actor, "update", item_year, {"due_on": [
            item_year.due_on.isoformat() if item_year.due_on else None,
            due_on.isoformat() if due_on else None]})
        item_year.due_on = due_on
        _flush(item_year)


# --- status ---------------------------------------------------------------------------

def _check_version(item_year: ItemYear, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item_year.version:
        raise Conflict(item_year.id)


def _flush(item_year: ItemYear) -> None:
    item_year_id = item_year.id  # read now: after a failed flush the row cannot be read
    try:
        db.session.flush()
    except StaleDataError as error:  # a concurrent save won the row first
        raise Conflict(item_year_id) from error


def change_status(actor: Actor, item_year: ItemYear, to_status: str, note: str | None,
                  expected_version: int | None, now: datetime | None = None
                  ) -> StatusUpdate:
    """Move an item-year to a status (or keep it and add a note), as its owner or a focal
    contact. `expected_version` is the version the person saw: if the row has changed
    since, Conflict is raised and nothing is saved."""
    if not can_update(actor, item_year):
        raise PermissionDenied("Only the item's owners and the focal contacts can update it.")
    if is_closed(item_year):
        raise ValidationError("status", f"{item_year.label} is closed: its statuses are "
                                        "kept as they stood.")
    _check_version(item_year, expected_version)
    if to_status not in {s.value for s in ItemStatus}:
        raise ValidationError("status", "Choose a status from the list.")
    if to_status not in allowed_statuses(actor, item_year):
        if to_status in FOCAL_ONLY:
            raise ValidationError("status", "Only a focal contact can drop an item.")
        raise ValidationError("status", f"An item that is {item_year.status_label.lower()} "
                                        f"cannot become {ItemStatus(to_status).label.lower()}"
                                        " directly.")
    note = _text(note, "note", 5000)
    if note_needed(item_year.status, to_status) and not note:
        reason = "blocked" if to_status == BLOCKED else \
            f"re-opened from {item_year.status_label.lower()}"
        raise ValidationError("note", f"Say why the item is {reason}: a note is needed.")
    if to_status == item_year.status and not note:
        raise ValidationError("note", "Nothing changed: choose another status or write a "
                                      "note.")
    update = StatusUpdate(item_year=item_year, at=now or utcnow(),
                          actor_id=actor.id if isinstance(actor, User) else None,
                          actor_label=actor.audit_label, from_status=item_year.status,
                          to_status=to_status, note=note)
    db.session.add(update)
    item_year.status = to_status
    if note:
        item_year.progress_note = note
    _flush(item_year)
    return update


def carry_over(actor: Actor, item_year: ItemYear, now: datetime | None = None) -> ItemYear:
    """An unfinished item continues in the next fiscal year, with its status, note, owners
    and (through `carried_from`) its history."""
    _require_manager(actor)
    if item_year.status not in UNFINISHED:
        raise ValidationError("year", f"Only an unfinished item is carried over; this one "
                                      f"is {item_year.status_label.lower()}.")
    plan, year = item_year.item.plan, item_year.year + 1
    if year > plan.last_year:
        raise ValidationError("year", f"The plan ends in {fiscal.label(plan.last_year)}: "
                                      "extend it first.")
    if year in plan.closed_years:
        raise ValidationError("year", f"{fiscal.label(year)} is closed.")
    if item_year.item.year(year) is not None:
        raise ValidationError("year", f"The item already runs in {fiscal.label(year)}.")
    row = ItemYear(item=item_year.item, year=year, status=item_year.status,
                   progress_note=item_year.progress_note, carried_from_id=item_year.id,
                   owners=[ItemOwner(member_id=o.member_id, organization_id=o.organization_id)
                           for o in item_year.owners])
    db.session.add(row)
    db.session.flush()
    db.session.add(StatusUpdate(item_year=row, at=now or utcnow(),
                                actor_id=actor.id if isinstance(actor, User) else None,
                                actor_label=actor.audit_label, from_status=None,
                                to_status=row.status,
                                note=f"Carried over from {item_year.label}."))
    audit.record(actor, "carry_over", item_year.item,
                 {"years": [item_year.label, fiscal.label(year)]})
    return row


def close_year(actor: Actor, plan: ActionPlan, year: int) -> YearClosure:
    """Freeze a fiscal year: from now on its item-years keep the statuses they have."""
    _require_manager(actor)
    if not plan.first_year <= year <= plan.last_year:
        raise ValidationError("year", "Choose a fiscal year of the plan.")
    if year in plan.closed_years:
        raise ValidationError("year", f"{fiscal.label(year)} is already closed.")
    closure = YearClosure(plan=plan, year=year, closed_by=actor.audit_label)
    db.session.add(closure)
    db.session.flush()
    audit.record(actor, "close_year", plan, {"closed": [None, fiscal.label(year)]})
    return closure
