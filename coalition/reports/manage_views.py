"""The focal contact's side of the archive: create, edit, publish, files and versions,
archive, and the kinds of file allowed."""

from __future__ import annotations

from flask import Blueprint, abort

from coalition.auth.permissions import focal_contact_required

bp = Blueprint("report_manage", __name__)


# Placeholders with the final endpoints and addresses, replaced by the real views.
@bp.route("/reports/new", methods=["GET", "POST"])
@focal_contact_required
def new():
    abort(501)


@bp.route("/reports/<slug>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit(slug: str):
    abort(501)


@bp.route("/reports/<slug>/visibility", methods=["POST"])
@focal_contact_required
def visibility(slug: str):
    abort(501)


@bp.route("/reports/<slug>/files", methods=["POST"])
@focal_contact_required
def add_file(slug: str):
    abort(501)


@bp.route("/reports/<slug>/files/<int:file_id>/replace", methods=["GET", "POST"])
@focal_contact_required
def replace_file(slug: str, file_id: int):
    abort(501)


@bp.route("/reports/<slug>/archive", methods=["POST"])
@focal_contact_required
def archive(slug: str):
    abort(501)


@bp.route("/reports/<slug>/restore", methods=["POST"])
@focal_contact_required
def restore(slug: str):
    abort(501)


@bp.route("/reports/file-types", methods=["GET", "POST"])
@focal_contact_required
def file_types():
    abort(501)
