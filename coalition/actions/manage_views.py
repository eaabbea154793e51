"""The focal contact's pages for the action plan: plans, objectives, items, years, owners,
carrying over and closing a year."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("action_manage", __name__)
