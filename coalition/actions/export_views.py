"""The action plan as CSV and as a printable page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("action_export", __name__)
