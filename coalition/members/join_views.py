"""Joining the coalition: the public application form, e-mail confirmation, and the focal
contact's decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("join", __name__)
