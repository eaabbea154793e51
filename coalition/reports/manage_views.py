"""The focal contact's side of the archive: create, edit, publish, files and versions,
archive, and the kinds of file allowed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import IntegrityError

from coalition.auth.permissions import focal_contact_required
from coalition.db import today
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.reports import files as report_files
from coalition.reports import queries, services
from coalition.reports.forms import (
    AddFileForm,
    FileTypesForm,
    NewReportForm,
    ReplaceFileForm,
    ReportForm,
)
from coalition.reports.models import Report, ReportFile, Visibility
from coalition.web import acting_user, show_error

bp = Blueprint("report_manage", __name__)

PUBLISHED = {
    Visibility.PUBLIC.value: "is public: everyone can find and read it.",
    Visibility.MEMBERS.value: "is published to members only: signed-in members can read it.",
    Visibility.DRAFT.value: "is a draft: only focal contacts can see it.",
}
STATE_ACTIONS = ((Visibility.PUBLIC.value, "Publish to the public"),
                 (Visibility.MEMBERS.value, "Publish to members only"),
                 (Visibility.DRAFT.value, "Unpublish (back to draft)"))


@dataclass
class FileEntry:
    """A current file and its earlier versions, newest first."""

    current: ReportFile
    earlier: list[ReportFile]


# --- reading the request --------------------------------------------------------------

def _report_or_404(slug: str) -> Report:
    report = queries.by_slug(slug)
    if report is None:
        abort(404)
    return report


def _fy_start_month() -> int:
    return current_app.config["FY_START_MONTH"]


def _report_input(form: ReportForm) -> services.ReportInput:
    return services.ReportInput(
        title=form.title.data or "", type=form.type.data or "",
        published_on=form.published_on.data, fiscal_year=form.fiscal_year.data,
        authors=form.authors.data, summary=form.summary.data,
        language=form.language.data or "", tags=services.split_tags(form.tags.data),
        external_url=form.external_url.data, slug=form.slug.data)


def _file_input(form) -> services.FileInput | None:
    """The uploaded file, or None if none was chosen. The size limit is enforced before
    this runs (MAX_CONTENT_LENGTH: a larger request gets the 413 page)."""
    upload = form.file.data
    if upload is None:
        return None
    return services.FileInput(upload.read(), upload.filename or "", form.label.data or None)


def _require_file(form, item: services.FileInput | None) -> bool:
    if item is None:
        form.file.errors = [*form.file.errors, "Choose a file to upload."]
        return False
    return True


def _metadata_form(report: Report, formdata=None) -> ReportForm:
    """The edit form, filled from the report (and from the request when it was posted)."""
    data = {"title": report.title, "type": report.type, "published_on": report.published_on,
            "fiscal_year": report.fiscal_year, "authors": report.authors,
            "summary": report.summary, "language": report.language,
            "tags": ", ".join(report.tags), "external_url": report.external_url,
            "slug": report.slug}
    form = ReportForm(formdata=formdata, data=data, fy_start_month=_fy_start_month())
    if report.first_published_at is not None:
        form.freeze_slug(report.slug)
    return form


def _address_taken(form: ReportForm) -> None:
    """Two saves raced for one address (the slug is unique): the later one says so."""
    db.session.rollback()
    form.slug.errors = [*form.slug.errors, "Another report took this address while you were "
                        "saving, so nothing was saved. Save again, or choose another "
                        "address."]


def _file_entries(report: Report) -> list[FileEntry]:
    return [FileEntry(row, report.earlier_versions(row)) for row in report.current_files]


def _current_version(report: Report, row: ReportFile) -> ReportFile | None:
    by_id = {f.id: f for f in report.files}
    seen = set()
    while row is not None and row.replaced_by_id is not None and row.id not in seen:
        seen.add(row.id)
        row = by_id.get(row.replaced_by_id)
    return row


def _manage_page(report: Report, form: ReportForm | None = None,
                 file_form: AddFileForm | None = None, state_error: str | None = None,
                 status: int = 200):
    return render_template(
        "reports/manage.html", report=report,
        form=form or _metadata_form(report),
        file_form=file_form or AddFileForm(formdata=None),
        entries=_file_entries(report), state_error=state_error,
        state_label=Visibility(report.visibility).label,
        state_actions=[(value, label) for value, label in STATE_ACTIONS
                       if value != report.visibility and
                       (value == Visibility.DRAFT or not report.is_archived)]), status


# --- creating and editing -------------------------------------------------------------

@bp.route("/reports/new", methods=["GET", "POST"])
@focal_contact_required
def new():
    form = NewReportForm(fy_start_month=_fy_start_month(), published_on=today())
    if form.validate_on_submit():
        item = _file_input(form)
        try:
            report = services.create_report(
                acting_user(), _report_input(form), [item] if item else [],
                visibility=form.visibility.data, fy_start_month=_fy_start_month())
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:
            _address_taken(form)
        else:
            flash(f"“{report.title}” was added and {PUBLISHED[report.visibility]}", "success")
            return redirect(url_for("reports.detail", slug=report.slug))
    return render_template("reports/form.html", form=form), \
        400 if form.is_submitted() else 200


@bp.route("/reports/<slug>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit(slug: str):
    report = _report_or_404(slug)
    if request.method == "GET":
        return _manage_page(report)
    form = _metadata_form(report, formdata=request.form)
    if form.validate_on_submit():
        try:
            services.update_report(acting_user(), report, _report_input(form),
                                   fy_start_month=_fy_start_month())
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:
            _address_taken(form)
        else:
            flash("The report's details were saved.", "success")
            return redirect(url_for(".edit", slug=report.slug))
    return _manage_page(report, form=form, status=400)


# --- publishing and archiving ---------------------------------------------------------

@bp.route("/reports/<slug>/visibility", methods=["POST"])
@focal_contact_required
def visibility(slug: str):
    report = _report_or_404(slug)
    try:
        services.set_visibility(acting_user(), report, request.form.get("visibility", ""))
    except ValidationError as error:
        db.session.rollback()
        return _manage_page(report, state_error=error.message, status=400)
    db.session.commit()
    flash(f"“{report.title}” {PUBLISHED[report.visibility]}", "success")
    return redirect(url_for(".edit", slug=report.slug))


@bp.route("/reports/<slug>/archive", methods=["POST"])
@focal_contact_required
def archive(slug: str):
    report = _report_or_404(slug)
    services.set_archived(acting_user(), report, True)
    db.session.commit()
    flash(f"“{report.title}” was archived: it has left every listing, feed and page except "
          "the focal contacts' archived list. Restore it to bring it back as it was.",
          "success")
    return redirect(url_for(".edit", slug=report.slug))


@bp.route("/reports/<slug>/restore", methods=["POST"])
@focal_contact_required
def restore(slug: str):
    report = _report_or_404(slug)
    services.set_archived(acting_user(), report, False)
    db.session.commit()
    flash(f"“{report.title}” was restored: whoever could see it before can see it again.",
          "success")
    return redirect(url_for(".edit", slug=report.slug))


# --- files ----------------------------------------------------------------------------

@bp.route("/reports/<slug>/files", methods=["POST"])
@focal_contact_required
def add_file(slug: str):
    report = _report_or_404(slug)
    form = AddFileForm()
    if form.validate_on_submit():
        item = _file_input(form)
        if _require_file(form, item):
            try:
                row = services.add_file(acting_user(), report, item)
            except ValidationError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(f"{row.filename} was added to the report.", "success")
                return redirect(url_for(".edit", slug=report.slug))
    return _manage_page(report, file_form=form, status=400)


@bp.route("/reports/<slug>/files/<int:file_id>/replace", methods=["GET", "POST"])
@focal_contact_required
def replace_file(slug: str, file_id: int):
    report = _report_or_404(slug)
    old = next((row for row in report.files if row.id == file_id), None)
    if old is None:
        abort(404)
    form = ReplaceFileForm()
    form.label.description = (f"Leave empty to keep “{old.label}”." if old.label else
                              "For example: Full report. Without it the page shows the file "
                              "name.")
    if old.is_current and form.validate_on_submit():
        item = _file_input(form)
        if _require_file(form, item):
            try:
                row = services.replace_file(acting_user(), old, item)
            except ValidationError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(f"{old.filename} was replaced by {row.filename}. The earlier version "
                      "stays downloadable from the report page.", "success")
                return redirect(url_for(".edit", slug=report.slug))
    elif not old.is_current and form.is_submitted():
        form.form_errors.append("This is already an earlier version; replace the current "
                                "one.")
    return render_template("reports/replace_file.html", report=report, old=old, form=form,
                           current=_current_version(report, old)), \
        400 if form.is_submitted() else 200


# --- the kinds of file accepted -------------------------------------------------------

@bp.route("/reports/file-types", methods=["GET", "POST"])
@focal_contact_required
def file_types():
    allowed = services.allowed_kinds()
    form = FileTypesForm(kinds=sorted(allowed))
    if form.validate_on_submit():
        try:
            services.set_allowed_kinds(acting_user(), set(form.kinds.data or []))
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            accepted = ["PDF"] + [kind.label for kind in report_files.OPTIONAL_KINDS
                                  if kind.code in set(form.kinds.data or [])]
            flash("Saved. New files may now be: " + ", ".join(accepted) + ".", "success")
            return redirect(url_for(".file_types"))
    return render_template("reports/file_types.html", form=form, allowed=allowed), \
        400 if form.is_submitted() else 200
