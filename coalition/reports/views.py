"""The public report archive: the listing with facets and search, a report's page, and
its file downloads."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
