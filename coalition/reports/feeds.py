"""Machine-readable doors into the archive: the Atom feed of public reports, the sitemap
of the public pages, and robots.txt pointing at it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("report_feeds", __name__)
