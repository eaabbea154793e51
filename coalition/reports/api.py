"""The report archive in the JSON API: GET /api/v1/reports (the page's filters and search)
and GET /api/v1/reports/<slug>. Anonymous callers see public reports; signed-in callers
also the members-only ones."""

from __future__ import annotations

from flask import Blueprint

from coalition.api.auth import install

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
install(bp)
