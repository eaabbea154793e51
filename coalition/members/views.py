"""The member directory, member and organization records, and a member's own profile."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("members", __name__)
