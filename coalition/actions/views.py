"""The action plan's pages: the board (items × fiscal years, filters, the per-year
summary), an item with its full history, and "My items". The public sees published plans
only, with owners named only as far as they consented."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from coalition.actions import board as plan_board
from coalition.actions import charts, queries, services
from coalition.actions.models import ActionItem, ActionPlan
from coalition.extensions import db
from coalition.members.visibility import PUBLIC, audience
from coalition.web import acting_user

bp = Blueprint("actions", __name__)


def _chosen_plan(plans: list[ActionPlan], user) -> ActionPlan | None:
    """The plan asked for (?plan=<id>; 404 if this person may not see it), else the
    first one they may see."""
    asked = request.args.get("plan", "")
    if not asked:
        return plans[0] if plans else None
    plan = db.session.get(ActionPlan, int(asked)) if asked.isascii() and asked.isdigit() \
        and len(asked) < 10 else None
    if plan is None or not queries.can_see_plan(plan, user):
        abort(404)
    return plan


@bp.route("/actions/")
def board():
    user = acting_user()
    who = audience(user)
    plans = queries.visible_plans(user)
    plan = _chosen_plan(plans, user)
    if plan is None:
        return render_template("actions/board.html", plan=None, who=who,
                               can_manage=services.can_manage(user))
    if plan not in plans:
        plans.append(plan)  # an archived plan a focal contact asked for by its address
    public = who == PUBLIC
    items = plan_board.plan_items(plan)
    objectives = plan_board.objective_choices(plan, items)
    owners = plan_board.owner_choices(items, public)
    filters = plan_board.parse_filter(request.args, plan, objectives, owners)
    columns, groups = plan_board.board(plan, items, filters, public)
    summaries = plan_board.summary(plan, items)
    return render_template(
        "actions/board.html", plan=plan, plans=plans, who=who,
        can_manage=services.can_manage(user), filters=filters, columns=columns,
        groups=groups, objectives=objectives, owners=owners,
        statuses=plan_board.STATUSES, summaries=summaries,
        chart=charts.summary_chart(summaries), percent=plan_board.percent,
        shown=sum(len(group.rows) for group in groups), total=len(items))


@bp.route("/actions/items/<int:item_id>")
def item(item_id: int):
    user = acting_user()
    action_item = db.session.get(ActionItem, item_id)
    if action_item is None or not queries.can_see_plan(action_item.plan, user) or \
            (action_item.is_archived and not services.can_manage(user)):
        abort(404)
    who = audience(user)
    return render_template(
        "actions/item.html", item=action_item, plan=action_item.plan, who=who,
        can_manage=services.can_manage(user),
        years=plan_board.item_years(action_item, user, who == PUBLIC))


# Placeholders with the final endpoints and addresses, replaced by the real views.
@bp.route("/actions/mine")
def my_items():
    from coalition.actions.status_views import my_items as status_views_my_items

    return status_views_my_items()


from coalition.actions import status_views  # noqa: E402,F401 - its routes join this blueprint
