"""An action plan as rows (one per item and fiscal year) for the CSV export and the
printable page, with the owners named only as far as the audience may see them."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select

from coalition import fiscal
from coalition.actions import board
from coalition.actions.models import (
    ActionItem,
    ActionPlan,
    ItemStatus,
    ItemYear,
    Objective,
    StatusUpdate,
)
from coalition.extensions import db

HEADERS = ["Plan", "Objective", "Item", "Fiscal year", "Status", "Due date", "Progress note",
           "Owners", "Last updated"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote, which makes it
    text (the import removes that quote again)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def owner_names(item_year: ItemYear, public: bool) -> list[str]:
    """Members, then organizations, named as on the board (in public, a member only with
    their consent; otherwise "a member")."""
    owners = sorted(item_year.owners, key=lambda owner: owner.member_id is None)
    return [board.owner_label(owner, public) for owner in owners]


@dataclass(frozen=True)
class ItemGroup:
    """An objective (None: items with no objective) and its items, in the plan's order."""

    objective: Objective | None
    items: list[ActionItem]


def groups(plan: ActionPlan) -> list[ItemGroup]:
    """The plan's items that are not archived, under their objectives in order; the items
    without an objective come last."""
    items = [item for item in plan.items if not item.is_archived]
    found = [ItemGroup(objective, [i for i in items if i.objective_id == objective.id])
             for objective in plan.objectives]
    loose = [item for item in items if item.objective_id is None or
             item.objective_id not in {objective.id for objective in plan.objectives}]
    if loose:
        found.append(ItemGroup(None, loose))
    return [group for group in found
            if group.items or (group.objective is not None and
                               not group.objective.is_archived)]


def last_changes(plan: ActionPlan) -> dict[int, object]:
    """When each item-year of the plan last had a status update, by item-year id."""
    return dict(db.session.execute(
        select(StatusUpdate.item_year_id, func.max(StatusUpdate.at))
        .join(ItemYear).join(ActionItem).where(ActionItem.plan_id == plan.id)
        .group_by(StatusUpdate.item_year_id)).all())


def export_rows(plan: ActionPlan, public: bool) -> list[list[str]]:
    """One list of cells per item and fiscal year, in the plan's order."""
    changed = last_changes(plan)
    rows = []
    for group in groups(plan):
        objective = group.objective.title if group.objective else ""
        for item in group.items:
            for row in item.years:
                updated = changed.get(row.id) or row.updated_at
                rows.append([plan.title, objective, item.title, row.label, row.status_label,
                             row.due_on.isoformat() if row.due_on else "",
                             row.progress_note or "", "; ".join(owner_names(row, public)),
                             updated.date().isoformat() if updated else ""])
    return rows


def export_csv(plan: ActionPlan, public: bool) -> str:
    """The CSV text: a byte-order mark (so Excel reads UTF-8), the header row, the rows;
    every cell that would start a formula made text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for cells in export_rows(plan, public):
        writer.writerow([neutralise(cell) for cell in cells])
    return "\ufeff" + buffer.getvalue()


@dataclass(frozen=True)
class PrintCell:
    year: int
    label: str
    row: ItemYear | None  # None: the item does not run in this year
    owners: list[str]


@dataclass(frozen=True)
class PrintItem:
    number: str  # "2.1": the second objective's first item
    item: ActionItem
    cells: list[PrintCell]


@dataclass(frozen=True)
class PrintGroup:
    number: str
    objective: Objective | None
    items: list[PrintItem]


def printable(plan: ActionPlan, public: bool) -> list[PrintGroup]:
    """The plan as the printable page shows it: numbered objectives and items, each item
    with a cell for every fiscal year of the plan."""
    printed = []
    for index, group in enumerate(groups(plan), start=1):
        number = str(index) if group.objective else ""
        items = [PrintItem(f"{number}.{n}" if number else str(n), item, [
            PrintCell(year, fiscal.label(year), item.year(year),
                      owner_names(item.year(year), public) if item.year(year) else [])
            for year in plan.years]) for n, item in enumerate(group.items, start=1)]
        printed.append(PrintGroup(number, group.objective, items))
    return printed


def status_counts(plan: ActionPlan) -> list[tuple[str, list[int]]]:
    """For each status, how many of the plan's item-years have it in each fiscal year."""
    counts: dict[tuple[int, str], int] = {}
    for group in groups(plan):
        for item in group.items:
            for row in item.years:
                counts[row.year, row.status] = counts.get((row.year, row.status), 0) + 1
    return [(status.label, [counts.get((year, status.value), 0) for year in plan.years])
            for status in ItemStatus]


def filename(plan: ActionPlan) -> str:
    """A file name made of the plan's title in plain ASCII: no quotes, slashes or spaces."""
    decomposed = unicodedata.normalize("NFKD", plan.title)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-")
    return f"{slug or f'action-plan-{plan.id}'}.csv"
