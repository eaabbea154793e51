"""The "My items" page and the status form: an owner (or a focal contact) moves an
item-year to another status with a note. A change saved by someone else meanwhile is
shown to the person, never overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coalition.actions import queries, services
from coalition.actions.board import actor_name
from coalition.actions.forms import StatusForm
from coalition.actions.models import ActionItem, ActionPlan, ItemStatus, ItemYear, StatusUpdate
from coalition.actions.views import bp
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.web import acting_user, show_error

STATUSES = {status.value for status in ItemStatus}


# --- My items -------------------------------------------------------------------------

@dataclass
class YearGroup:
    """The item-years a person owns in one plan and one fiscal year."""

    plan: ActionPlan
    label: str
    is_closed: bool
    rows: list[ItemYear]


def year_groups(rows: list[ItemYear]) -> list[YearGroup]:
    """`rows` (ordered by plan, year, item) grouped by plan and fiscal year."""
    groups = []
    for (_, year), group in groupby(rows, key=lambda row: (row.item.plan_id, row.year)):
        group_rows = list(group)
        plan = group_rows[0].item.plan
        groups.append(YearGroup(plan, group_rows[0].label, year in plan.closed_years,
                                group_rows))
    return groups


@login_required
def my_items():
    """The page behind actions.my_items (views.my_items hands over to it)."""
    user = acting_user()
    member = services.member_of(user)
    groups = year_groups(queries.owned_by(user)) if member is not None else []
    return render_template("actions/my_items.html", member=member, groups=groups,
                           count=sum(len(group.rows) for group in groups),
                           can_manage=services.can_manage(user))


# --- the status form ------------------------------------------------------------------

def _item_year_or_404(item_id: int, year: int) -> ItemYear:
    item = db.session.get(ActionItem, item_id)
    if item is None or not queries.can_see_plan(item.plan, current_user) or \
            (item.is_archived and not services.can_manage(current_user)):
        abort(404)
    row = item.year(year)
    if row is None:
        abort(404)
    return row


def _status_choices(user, row: ItemYear) -> list[tuple[str, str]]:
    choices = []
    for status in services.allowed_statuses(user, row):
        label = ItemStatus(status).label
        if status == row.status:
            label += " (the current status: keep it and add a note)"
        elif services.note_needed(row.status, status):
            label += " (needs a note)"
        choices.append((status, label))
    return choices


def _note_help(row: ItemYear, choices: list[tuple[str, str]]) -> str:
    needing = [ItemStatus(status).label.lower() for status, _ in choices
               if services.note_needed(row.status, status)]
    if needing:
        return (f"A note saying why is needed to move it to {' or '.join(needing)}. "
                "Otherwise optional: what was done, what comes next.")
    return "Optional: what was done, what comes next."


def _status_form(user, row: ItemYear, formdata=None) -> StatusForm:
    form = StatusForm(formdata=formdata, data={"status": row.status, "version": row.version})
    form.status.choices = _status_choices(user, row)
    form.note.description = _note_help(row, form.status.choices)
    return form


@dataclass
class ConflictShown:
    """What the conflict message says: the change that came first, and what the person
    had chosen (kept in the form when it is still possible)."""

    latest: StatusUpdate | None
    latest_by: str | None
    unsaved_label: str | None
    unsaved_still_possible: bool


def _status_page(row: ItemYear, form: StatusForm | None, status: int = 200,
                 conflict: ConflictShown | None = None):
    return render_template("actions/status.html", row=row, item=row.item,
                           plan=row.item.plan, form=form, is_closed=services.is_closed(row),
                           conflict=conflict), status


def _after_conflict(user, row_id: int, form: StatusForm):
    """The row as it is now, with the other change shown and the person's own choice and
    note kept in the form (with the new version, so that saving again is deliberate)."""
    db.session.rollback()
    row = db.session.get(ItemYear, row_id)
    chosen, note = form.status.data, form.note.data
    form.status.choices = _status_choices(user, row)
    form.note.description = _note_help(row, form.status.choices)
    form.status.data, form.note.data = chosen, note
    form.version.data = str(row.version)
    latest = queries.latest_update(row.id)
    conflict = ConflictShown(
        latest, actor_name(latest) if latest is not None else None,
        ItemStatus(chosen).label if chosen in STATUSES else None,
        any(value == chosen for value, _ in form.status.choices))
    if services.is_closed(row) or not form.status.choices:
        form = None
    return _status_page(row, form, 409, conflict)


@bp.route("/actions/items/<int:item_id>/years/<int:year>/status", methods=["GET", "POST"])
@login_required
def update_status(item_id: int, year: int):
    user = acting_user()
    row = _item_year_or_404(item_id, year)
    if not services.can_update(user, row):
        raise PermissionDenied("Only the item's owners and the focal contacts can update it.")
    if services.is_closed(row) or not services.allowed_statuses(user, row):
        return _status_page(row, None, 400 if request.method == "POST" else 200)
    if request.method == "GET":
        return _status_page(row, _status_form(user, row))
    form = _status_form(user, row, formdata=request.form)
    if form.validate_on_submit():
        expected = form.expected_version()
        if expected is None:
            form.form_errors.append("The form was missing its version: reload the page and "
                                    "try again.")
            return _status_page(row, form, 400)
        row_id, before = row.id, row.status
        try:
            services.change_status(user, row, form.status.data, form.note.data,
                                   expected_version=expected)
            db.session.commit()
        except services.Conflict:
            return _after_conflict(user, row_id, form)
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_saved_message(row, before), "success")
            return redirect(url_for("actions.item", item_id=row.item_id))
    return _status_page(row, form, 400)


def _saved_message(row: ItemYear, before: str) -> str:
    where = f"“{row.item.title}” ({row.label})"
    if row.status == before:
        return f"Your note on {where} was saved."
    return f"{where} is now {row.status_label.lower()}."
