"""The action plan in the JSON API: GET /api/v1/action-plans/<id> and
POST /api/v1/action-items/<id>/years/<fy>/status. See docs/api.md."""

from __future__ import annotations

from flask import Blueprint

from coalition.api.auth import install

bp = Blueprint("actions_api", __name__, url_prefix="/api/v1")
install(bp)
