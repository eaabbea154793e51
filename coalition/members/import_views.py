"""Importing members from a CSV (preview, then confirm) and exporting the directory."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("member_import", __name__)
