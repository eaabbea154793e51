"""The action plan as CSV and as a printable page, for whoever may see the plan (the public
only a published one, and owners' names only as far as they consented)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from coalition import fiscal
from coalition.actions import exports, queries
from coalition.actions.models import ActionPlan
from coalition.db import today
from coalition.extensions import db
from coalition.members.visibility import PUBLIC, audience

bp = Blueprint("action_export", __name__)


def _visible_plan(plan_id: int) -> ActionPlan:
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None or not queries.can_see_plan(plan, current_user):
        abort(404)
    return plan


def _is_public() -> bool:
    return audience(current_user) == PUBLIC


@bp.route("/actions/plans/<int:plan_id>/export.csv", endpoint="csv")
def export_csv(plan_id: int):
    plan = _visible_plan(plan_id)
    return Response(exports.export_csv(plan, public=_is_public()),
                    mimetype="text/csv", headers={
                        "Content-Disposition":
                            f'attachment; filename="{exports.filename(plan)}"'})


@bp.route("/actions/plans/<int:plan_id>/print")
def printable(plan_id: int):
    plan = _visible_plan(plan_id)
    return render_template("actions/print.html", plan=plan,
                           groups=exports.printable(plan, public=_is_public()),
                           counts=exports.status_counts(plan), closed=plan.closed_years,
                           closed_labels=[fiscal.label(y) for y in sorted(plan.closed_years)],
                           today=today())
