"""Importing members from a CSV (upload, preview, confirm), the template to fill in, and the
directory's export."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, RadioField, SelectChoice

from coalition.auth.permissions import focal_contact_required
from coalition.db import today, utcnow
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import exports, imports
from coalition.members.views import directory_filter
from coalition.members.visibility import FOCAL
from coalition.web import acting_user, show_error

bp = Blueprint("member_import", __name__)

KEPT_FOR = timedelta(hours=1)  # an uploaded file waits this long for its confirmation
SESSION_KEY = "member_import"
PREVIEW_ROWS = 20  # rows to create and to update shown on the preview
ERROR_ROWS = 1_000  # error rows listed; the command line lists every one
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,40}")  # secrets.token_urlsafe(16) is 22 long


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")],
                     description="UTF-8, with or without a byte order mark (Excel's CSV "
                                 "UTF-8); commas or semicolons between the columns.",
                     render_kw={"accept": ".csv,text/csv"})


class ConfirmForm(FlaskForm):
    import_id = HiddenField()
    mode = RadioField("Which rows to write", default=imports.VALID_ROWS, choices=[
        SelectChoice(imports.VALID_ROWS, "The valid rows; skip the rows with errors"),
        SelectChoice(imports.ALL_OR_NOTHING, "All or nothing: write nothing if any row has "
                                             "an error")])


# --- the uploaded file, kept on the server between preview and confirmation -------------

def _folder() -> Path:
    return Path(current_app.instance_path) / "imports"


def _store(data: bytes, filename: str, user_id: int) -> str:
    """Keep the upload under the instance folder; only its random id goes to the browser
    (in the signed session cookie and the confirmation form)."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    _expire(folder)
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str) and ID_PATTERN.fullmatch(previous):
        _discard(previous)  # a new upload replaces the one waiting
    import_id = secrets.token_urlsafe(16)
    meta = {"user_id": user_id, "filename": filename, "at": utcnow().isoformat()}
    for suffix, content in ((".csv", data), (".json", json.dumps(meta).encode())):
        descriptor = os.open(folder / f"{import_id}{suffix}", os.O_WRONLY | os.O_CREAT |
                             os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    session[SESSION_KEY] = import_id
    return import_id


def _expire(folder: Path) -> None:
    cutoff = (utcnow() - KEPT_FOR).timestamp()
    for path in folder.glob("*.*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _load(import_id: str | None, user_id: int) -> tuple[bytes, dict] | None:
    """The file this user uploaded for the preview they are confirming, if still there."""
    if not import_id or import_id != session.get(SESSION_KEY) or \
            not ID_PATTERN.fullmatch(import_id):
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{import_id}.json").read_text())
        data = (folder / f"{import_id}.csv").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or \
            datetime.fromisoformat(meta["at"]) < utcnow() - KEPT_FOR:
        return None
    return data, meta


def _discard(import_id: str) -> None:
    for suffix in (".csv", ".json"):
        (_folder() / f"{import_id}{suffix}").unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


# --- pages ----------------------------------------------------------------------------

def _upload_page(form: UploadForm, status: int = 200):
    return render_template("members/import.html", form=form, columns=imports.COLUMNS,
                           required=imports.REQUIRED), status


def _preview_page(preview: imports.ImportPreview, form: ConfirmForm, filename: str,
                  status: int = 200):
    errors = preview.rows_to(imports.ERROR)
    return render_template(
        "members/import_preview.html", preview=preview, form=form, filename=filename,
        counts=preview.counts, labels=imports.LABELS, error_rows=errors[:ERROR_ROWS],
        more_errors=max(0, len(errors) - ERROR_ROWS),
        creates=preview.rows_to(imports.CREATE, PREVIEW_ROWS),
        updates=preview.rows_to(imports.UPDATE, PREVIEW_ROWS)), status


@bp.route("/members/import", methods=["GET", "POST"])
@focal_contact_required
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.is_submitted() else 200)
    upload = form.file.data
    data = upload.read()
    try:
        preview = imports.preview_import(acting_user(), data)
    except ValidationError as error:
        show_error(form, error)
        return _upload_page(form, 400)
    filename = Path(upload.filename or "upload.csv").name[:200]
    import_id = _store(data, filename, acting_user().id)
    return _preview_page(preview, ConfirmForm(import_id=import_id, formdata=None), filename)


@bp.route("/members/import/confirm", methods=["POST"])
@focal_contact_required
def confirm():
    form = ConfirmForm()
    user = acting_user()
    stored = _load(form.import_id.data, user.id)
    if stored is None:
        flash("This import is no longer waiting for confirmation (it was confirmed, replaced "
              "by another upload, or kept longer than an hour). Nothing was written; upload "
              "the file again.", "error")
        return redirect(url_for(".upload"))
    data, meta = stored
    # Read again rather than trust the preview: members may have changed meanwhile.
    preview = imports.preview_import(user, data)
    if form.validate():
        try:
            result = imports.apply_import(user, preview, form.mode.data,
                                          source=meta["filename"])
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:
            db.session.rollback()
            form.form_errors.append("Someone changed the same members while you were "
                                    "importing, so nothing was written. Check the preview "
                                    "below and confirm again.")
        else:
            _discard(form.import_id.data)
            flash(f"Import of {meta['filename']} done: {result.summary()}.", "success")
            return redirect(url_for(".upload"))
    return _preview_page(preview, form, meta["filename"], 400)


@bp.route("/members/import/template.csv")
@focal_contact_required
def template():
    return Response(imports.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition":
                             'attachment; filename="members-template.csv"'})


@bp.route("/members/export.csv")
@focal_contact_required
def export():
    filters = directory_filter(request.args, FOCAL)
    return Response(stream_with_context(exports.export_csv(filters)),
                    mimetype="text/csv", headers={
                        "Content-Disposition":
                            f'attachment; filename="members-{today():%Y-%m-%d}.csv"'})
