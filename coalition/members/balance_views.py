"""The balance dashboard: active members by stakeholder group × UN region."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("balance", __name__)
