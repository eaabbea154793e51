"""The action plan in the JSON API: GET /api/v1/action-plans/<id> (the plan, its objectives
and its items with their status per fiscal year) and POST /api/v1/action-items/<id>/years/
<fy>/status (the web's status form: same rules, same conflict detection). See docs/api.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request

from coalition import fiscal
from coalition.actions import board, queries, services
from coalition.actions.models import ActionItem, ActionPlan, ItemOwner, ItemYear, StatusUpdate
from coalition.api import params
from coalition.api.auth import ApiError, caller, install, invalid_parameter, require_caller
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.members.visibility import PUBLIC, audience
from coalition.urls import external_url

bp = Blueprint("actions_api", __name__, url_prefix="/api/v1")
install(bp)

BODY_FIELDS = ("status", "note", "version")


# --- as JSON --------------------------------------------------------------------------

def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def owner_json(owner: ItemOwner, public: bool) -> dict[str, Any]:
    """An owner as the board names them: in public, a member who has not agreed to be
    named is only "a member" (no id, no name)."""
    if owner.member_id is None:
        return {"kind": "organization", "id": owner.organization_id,
                "name": owner.organization.display_name}
    named = board.is_named(owner, public)
    return {"kind": "member", "id": owner.member_id if named else None,
            "name": owner.member.name if named else None}


def item_year_json(row: ItemYear, public: bool) -> dict[str, Any]:
    return {
        "status": row.status,
        "status_label": row.status_label,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "progress_note": row.progress_note,
        "version": row.version,
        "owners": [owner_json(owner, public) for owner in row.owners],
        "updated_at": _time(row.updated_at),
    }


def plan_json(plan: ActionPlan, items: list[ActionItem], public: bool) -> dict[str, Any]:
    closed = plan.closed_years
    return {
        "plan": {
            "id": plan.id,
            "title": plan.title,
            "description": plan.description,
            "fiscal_years": plan.year_labels,
            "closed_years": [fiscal.label(year) for year in plan.years if year in closed],
            "published": plan.is_published,
            "url": external_url("actions.board", plan=plan.id),
        },
        "objectives": [{"id": objective.id, "title": objective.title,
                        "position": objective.position}
                       for objective in plan.objectives if not objective.is_archived],
        "items": [{"id": item.id, "title": item.title, "description": item.description,
                   "objective_id": item.objective_id,
                   "url": external_url("actions.item", item_id=item.id),
                   "years": {row.label: item_year_json(row, public) for row in item.years}}
                  for item in items],
    }


def update_json(update: StatusUpdate | None) -> dict[str, Any] | None:
    if update is None:
        return None
    return {"at": _time(update.at), "by": board.actor_name(update),
            "from_status": update.from_status, "to_status": update.to_status,
            "note": update.note}


# --- reading the request --------------------------------------------------------------

def _item_year(item_id: int, fy: str, user) -> ItemYear:
    item = db.session.get(ActionItem, item_id)
    label = fiscal.parse(fy)
    if item is None or not queries.can_see_plan(item.plan, user) or \
            (item.is_archived and not services.can_manage(user)):
        raise ApiError(404, f"There is no action item {item_id}, or you may not see it.")
    row = next((row for row in item.years if row.label == label), None)
    if row is None:
        raise ApiError(404, f"Action item {item_id} does not run in {label or repr(fy)} "
                            f"(it runs in {', '.join(r.label for r in item.years) or 'no year'}).")
    return row


def _status_body() -> tuple[str, str | None, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'Send a JSON object: {"status": "in_progress", "note": "…", '
                            '"version": 3} (Content-Type: application/json).')
    for name in body:
        if name not in BODY_FIELDS:
            raise invalid_parameter(name, f"not a field of this request (it takes: "
                                          f"{', '.join(BODY_FIELDS)}).")
    status, note, version = body.get("status"), body.get("note"), body.get("version")
    if not isinstance(status, str) or not status:
        raise invalid_parameter("status", "give the new status as a string (planned, "
                                          "in_progress, done, blocked or dropped).")
    if note is not None and not isinstance(note, str):
        raise invalid_parameter("note", "must be a string or null.")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise invalid_parameter("version", "give the item-year's version as you last read "
                                           "it (a whole number, from GET /api/v1/"
                                           "action-plans/<id>), so a change made meanwhile "
                                           "is not overwritten.")
    return status, note, version


def _conflict(row_id: int):
    db.session.rollback()
    row = db.session.get(ItemYear, row_id)
    response = jsonify({"error": {
        "code": "conflict",
        "message": "Someone else changed this item-year since you read it, so nothing was "
                   "saved. Read the change below, then send yours again with the current "
                   "version if it still stands.",
        "current": {"status": row.status, "version": row.version,
                    "progress_note": row.progress_note,
                    "latest_update": update_json(queries.latest_update(row.id))},
    }})
    response.status_code = 409
    return response


# --- endpoints ------------------------------------------------------------------------

@bp.get("/action-plans/<int:plan_id>")
def plan(plan_id: int):
    params.check_parameters(())
    user = caller()
    found = db.session.get(ActionPlan, plan_id)
    # A plan the caller may not see answers exactly as one that does not exist.
    if found is None or not queries.can_see_plan(found, user):
        raise ApiError(404, f"There is no action plan {plan_id}, or you may not see it.")
    return jsonify(plan_json(found, board.plan_items(found), audience(user) == PUBLIC))


@bp.post("/action-items/<int:item_id>/years/<fy>/status")
def status(item_id: int, fy: str):
    params.check_parameters(())
    user = require_caller()
    row = _item_year(item_id, fy, user)
    if not services.can_update(user, row):
        raise PermissionDenied("Only the item's owners and the focal contacts can update it.")
    to_status, note, version = _status_body()
    row_id = row.id
    try:
        services.change_status(user, row, to_status, note, expected_version=version)
        db.session.commit()
    except services.Conflict:
        return _conflict(row_id)
    except ValidationError:
        db.session.rollback()
        raise
    return jsonify({"item_id": row.item_id, "fiscal_year": row.label,
                    **item_year_json(row, public=False)})
