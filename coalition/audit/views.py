"""The focal contact's view of the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from coalition.audit import queries
from coalition.auth.permissions import focal_contact_required
from coalition.web import page_number

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@focal_contact_required
def index():
    filters = queries.AuditFilter(
        entity_type=request.args.get("entity_type") or None,
        entity_id=request.args.get("entity_id") or None,
        actor_label=request.args.get("actor") or None,
    )
    page = queries.events(filters, page_number())
    return render_template("audit/index.html", page=page, filters=filters,
                           entity_types=queries.entity_types(), actors=queries.actor_labels())
