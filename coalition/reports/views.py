"""The public report archive: the listing with facets and search, a report's page, and
its file downloads."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("reports", __name__)


@bp.route("/reports/")
def index():
    abort(501)  # placeholder, replaced by the listing
