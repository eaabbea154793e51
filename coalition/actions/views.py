"""The action plan's pages: the board, an item with its history, and "My items"."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("actions", __name__)


# Placeholders with the final endpoints and addresses, replaced by the real views.
@bp.route("/actions/")
def board():
    abort(501)


@bp.route("/actions/items/<int:item_id>")
def item(item_id: int):
    abort(501)


@bp.route("/actions/mine")
def my_items():
    abort(501)
