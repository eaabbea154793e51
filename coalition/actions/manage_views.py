"""The focal contact's pages for the action plan: plans, objectives, items, years, owners,
carrying over and closing a year."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from coalition import fiscal
from coalition.actions import manage_forms as forms
from coalition.actions import services
from coalition.actions.models import (
    UNFINISHED,
    ActionItem,
    ActionPlan,
    ItemYear,
    Objective,
    YearClosure,
)
from coalition.auth.permissions import focal_contact_required
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import queries as member_queries
from coalition.members.models import MemberStatus
from coalition.web import acting_user, show_error

bp = Blueprint("action_manage", __name__)


# --- what the plan's management page shows ---------------------------------------------

@dataclass
class YearEntry:
    """An item in one fiscal year: its row, who owns it, and the year it may be carried
    over to (None when it is finished or cannot be)."""

    row: ItemYear
    owners: list[str]
    carry_to: str | None


@dataclass
class ItemEntry:
    item: ActionItem
    years: list[YearEntry]


@dataclass
class ObjectiveEntry:
    objective: Objective | None  # None: the items without an objective
    items: list[ItemEntry]


@dataclass
class FiscalYearEntry:
    year: int
    label: str
    closure: YearClosure | None
    item_count: int


def owner_names(row: ItemYear) -> list[str]:
    return [owner.member.name if owner.member is not None else
            owner.organization.display_name for owner in row.owners]


def carry_target(row: ItemYear) -> str | None:
    """The label of the year an unfinished item-year can be carried over to, if any."""
    plan, year = row.item.plan, row.year + 1
    if row.status not in UNFINISHED or year > plan.last_year or year in plan.closed_years \
            or row.item.year(year) is not None:
        return None
    return fiscal.label(year)


def _outline(plan: ActionPlan) -> list[ObjectiveEntry]:
    def entry(item: ActionItem) -> ItemEntry:
        return ItemEntry(item, [YearEntry(row, owner_names(row), carry_target(row))
                                for row in item.years])

    items = [item for item in plan.items if not item.is_archived]
    outline = [ObjectiveEntry(objective, [entry(i) for i in items
                                          if i.objective_id == objective.id])
               for objective in plan.objectives if not objective.is_archived]
    loose = [entry(i) for i in items if i.objective_id is None or
             i.objective is None or i.objective.is_archived]
    if loose:
        outline.append(ObjectiveEntry(None, loose))
    return outline


def _fiscal_years(plan: ActionPlan) -> list[FiscalYearEntry]:
    closures = {closure.year: closure for closure in plan.closures}
    counts: dict[int, int] = {}
    for item in plan.items:
        for row in item.years:
            counts[row.year] = counts.get(row.year, 0) + 1
    return [FiscalYearEntry(year, fiscal.label(year), closures.get(year), counts.get(year, 0))
            for year in plan.years]


def _plan_page(plan: ActionPlan, form: forms.PlanForm | None = None, status: int = 200):
    return render_template("actions/manage/plan.html", plan=plan,
                           form=form or forms.PlanForm(obj=plan, formdata=None),
                           outline=_outline(plan), fiscal_years=_fiscal_years(plan)), status


# --- reading the request --------------------------------------------------------------

def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _item_year_or_404(item_id: int, year: int) -> ItemYear:
    row = _get_or_404(ActionItem, item_id).year(year)
    if row is None:
        abort(404)
    return row


def _plan_input(form: forms.PlanForm) -> services.PlanInput:
    return services.PlanInput(title=form.title.data or "", description=form.description.data,
                              first_year=form.first_year.data, last_year=form.last_year.data)


def _back_to(plan: ActionPlan, anchor: str | None = None):
    return redirect(url_for(".edit_plan", plan_id=plan.id, _anchor=anchor))


def _submitted(status_if_posted: int = 400) -> int:
    return status_if_posted if request.method == "POST" else 200


# --- plans ----------------------------------------------------------------------------

@bp.route("/actions/plans/new", methods=["GET", "POST"])
@focal_contact_required
def new_plan():
    form = forms.PlanForm()
    if form.validate_on_submit():
        try:
            plan = services.create_plan(acting_user(), _plan_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"The plan “{plan.title}” was created for {plan.year_labels[0]}–"
                  f"{plan.year_labels[-1]}. Only signed-in people see it until you publish "
                  "it. Add its objectives and items next.", "success")
            return _back_to(plan)
    return render_template("actions/manage/new_plan.html", form=form), _submitted()


@bp.route("/actions/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit_plan(plan_id: int):
    plan = _get_or_404(ActionPlan, plan_id)
    if request.method == "GET":
        return _plan_page(plan)
    form = forms.PlanForm()
    if form.validate_on_submit():
        try:
            services.update_plan(acting_user(), plan, _plan_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("The plan's details were saved.", "success")
            return _back_to(plan)
    return _plan_page(plan, form, 400)


@bp.route("/actions/plans/<int:plan_id>/publish", methods=["POST"])
@focal_contact_required
def publish(plan_id: int):
    plan = _get_or_404(ActionPlan, plan_id)
    published = {"1": True, "0": False}.get(request.form.get("published", ""))
    if published is None:
        abort(400)
    services.set_published(acting_user(), plan, published)
    db.session.commit()
    flash(f"“{plan.title}” is published: everyone, signed in or not, can see it on the "
          "action plan page." if published else
          f"“{plan.title}” is no longer published: only signed-in people see it.", "success")
    return _back_to(plan, "publishing-heading")


@bp.route("/actions/plans/<int:plan_id>/years/<int:year>/close", methods=["POST"])
@focal_contact_required
def close_year(plan_id: int, year: int):
    plan = _get_or_404(ActionPlan, plan_id)
    try:
        services.close_year(acting_user(), plan, year)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        flash(f"{fiscal.label(year)} was not closed: {error.message}", "error")
    else:
        flash(f"{fiscal.label(year)} is closed: its statuses stay as they stood, for the "
              "annual report.", "success")
    return _back_to(plan, "years-heading")


# --- objectives -----------------------------------------------------------------------

@bp.route("/actions/plans/<int:plan_id>/objectives/new", methods=["GET", "POST"])
@focal_contact_required
def new_objective(plan_id: int):
    plan = _get_or_404(ActionPlan, plan_id)
    form = forms.ObjectiveForm()
    if form.validate_on_submit():
        try:
            objective = services.create_objective(acting_user(), plan, form.title.data or "",
                                                  form.description.data)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"The objective “{objective.title}” was added.", "success")
            return _back_to(plan, f"objective-{objective.id}")
    return render_template("actions/manage/objective.html", plan=plan, objective=None,
                           form=form), _submitted()


@bp.route("/actions/objectives/<int:objective_id>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit_objective(objective_id: int):
    objective = _get_or_404(Objective, objective_id)
    form = forms.ObjectiveForm(obj=objective)
    if form.validate_on_submit():
        try:
            services.update_objective(acting_user(), objective, form.title.data or "",
                                      form.description.data)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"The objective “{objective.title}” was saved.", "success")
            return _back_to(objective.plan, f"objective-{objective.id}")
    return render_template("actions/manage/objective.html", plan=objective.plan,
                           objective=objective, form=form), _submitted()


# --- items ----------------------------------------------------------------------------

def _item_input(form: forms.ItemForm, kept: set[int]) -> services.ItemInput:
    return services.ItemInput(title=form.title.data or "", description=form.description.data,
                              objective_id=form.objective_id.id_or_none,
                              years=sorted(set(form.years.data or []) | kept))


def _item_page(plan: ActionPlan, item: ActionItem | None, form: forms.ItemForm):
    running = {row.year for row in item.years} if item else set()
    return render_template("actions/manage/item.html", plan=plan, item=item, form=form,
                           closed=plan.closed_years, running=running), _submitted()


@bp.route("/actions/plans/<int:plan_id>/items/new", methods=["GET", "POST"])
@focal_contact_required
def new_item(plan_id: int):
    plan = _get_or_404(ActionPlan, plan_id)
    form = forms.ItemForm(plan=plan, objective_id=request.args.get("objective", ""))
    if form.validate_on_submit():
        try:
            item = services.create_item(acting_user(), plan, _item_input(form, set()))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"The item “{item.title}” was added for "
                  f"{', '.join(row.label for row in item.years)}. Choose its owners next.",
                  "success")
            return _back_to(plan, f"item-{item.id}")
    return _item_page(plan, None, form)


@bp.route("/actions/items/<int:item_id>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit_item(item_id: int):
    item = _get_or_404(ActionItem, item_id)
    plan = item.plan
    form = forms.ItemForm(plan=plan, data={
        "title": item.title, "description": item.description,
        "objective_id": item.objective_id, "years": [row.year for row in item.years]})
    # A closed year's box cannot be ticked or unticked (the browser does not send it).
    kept = {row.year for row in item.years} & plan.closed_years
    if form.validate_on_submit():
        try:
            services.update_item(acting_user(), item, _item_input(form, kept))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"The item “{item.title}” was saved.", "success")
            return _back_to(plan, f"item-{item.id}")
    return _item_page(plan, item, form)


@bp.route("/actions/items/<int:item_id>/years/<int:year>/carry-over", methods=["POST"])
@focal_contact_required
def carry_over(item_id: int, year: int):
    row = _item_year_or_404(item_id, year)
    item = row.item
    try:
        new_row = services.carry_over(acting_user(), row)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        flash(f"“{item.title}” was not carried over: {error.message}", "error")
    else:
        flash(f"“{item.title}” now continues in {new_row.label}, with its status, note and "
              f"owners; its history goes with it.", "success")
    return _back_to(item.plan, f"item-{item.id}")


# --- owners and due date --------------------------------------------------------------

def _owners_form(row: ItemYear, formdata=None) -> forms.OwnersForm:
    data = {"members": [o.member_id for o in row.owners if o.member_id],
            "organizations": [o.organization_id for o in row.owners if o.organization_id],
            "due_on": row.due_on, "version": str(row.version)}
    return forms.OwnersForm(formdata=formdata, data=data, members=member_queries.active_members(),
                            organizations=member_queries.organizations())


def _told(count: int) -> str:
    if count == 0:
        return "Nobody new needed telling."
    return "1 person was told by e-mail." if count == 1 else \
        f"{count} people were told by e-mail."


@bp.route("/actions/items/<int:item_id>/years/<int:year>/owners", methods=["GET", "POST"])
@focal_contact_required
def owners(item_id: int, year: int):
    row = _item_year_or_404(item_id, year)
    form = _owners_form(row, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                told = services.set_owners(acting_user(), row, form.members.data or [],
                                           form.organizations.data or [])
                services.update_tracking(acting_user(), row, form.due_on.data,
                                         form.expected_version)
                db.session.commit()
            except ValidationError as error:
                db.session.rollback()
                show_error(form, error)
            except services.Conflict as conflict:
                db.session.rollback()
                form = _owners_form(row)
                form.form_errors.append(f"{conflict.message} Nothing was saved: the form "
                                        "now shows what is stored. Make your change again.")
                status = 409
            else:
                flash(f"The owners of “{row.item.title}” in {row.label} were saved. "
                      f"{_told(len(told))}", "success")
                return _back_to(row.item.plan, f"item-{row.item.id}")
    lapsed = [o.member.name for o in row.owners
              if o.member is not None and o.member.status != MemberStatus.ACTIVE]
    return render_template("actions/manage/owners.html", row=row, item=row.item,
                           plan=row.item.plan, form=form, owners=owner_names(row),
                           closed=services.is_closed(row), lapsed=lapsed), status
