"""The member directory, member and organization records, and a member's own profile."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coalition.auth.permissions import focal_contact_required
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import queries, services
from coalition.members.forms import (
    DirectoryFilterForm,
    EraseForm,
    MemberForm,
    OrganizationForm,
    ProfileForm,
    StatusForm,
)
from coalition.members.models import Member, MemberStatus, Organization
from coalition.members.services import MemberInput, OrganizationInput
from coalition.members.visibility import FOCAL, PUBLIC, audience, visible_fields
from coalition.web import acting_user, page_number, show_error

bp = Blueprint("members", __name__)


# --- the directory --------------------------------------------------------------------

def directory_filter(args, who: str) -> queries.DirectoryFilter:
    """The directory's filters from a query string; only focal contacts choose the status."""
    form = DirectoryFilterForm(args)
    organization = args.get("organization_id", "")
    return queries.DirectoryFilter(
        q=(form.q.data or "")[:200],
        stakeholder_group=form.stakeholder_group.data or "",
        region=form.region.data or "",
        country=form.country.data or "",
        status=(form.status.data if "status" in args else "active") if who == FOCAL
        else "active",
        organization_id=int(organization) if organization.isdigit() else None,
        sort=form.sort_value(),
        public=who == PUBLIC,
    )


@bp.route("/members/")
def directory():
    who = audience(current_user)
    filters = directory_filter(request.args, who)
    page = queries.directory_page(filters, page_number())
    rows = [(member, visible_fields(member, who)) for member in page.items]
    return render_template("members/directory.html", form=DirectoryFilterForm(request.args),
                           page=page, rows=rows, who=who, filters=filters)


@bp.route("/members/<int:member_id>")
def detail(member_id: int):
    member = db.get_or_404(Member, member_id)
    who = audience(current_user)
    fields = visible_fields(member, who)
    if who != FOCAL and (member.status != MemberStatus.ACTIVE or not fields):
        abort(404)  # not in the directory this visitor sees
    return render_template("members/detail.html", member=member, fields=fields, who=who,
                           status_form=StatusForm(status=member.status),
                           can_edit=services.can_edit(current_user, member)
                           if current_user.is_authenticated else False)


# --- creating and editing -------------------------------------------------------------

def _member_input(form) -> MemberInput:
    data = MemberInput(**{name: getattr(form, name).data for name in (
        "name", "title", "organization_name", "stakeholder_group", "country", "gender",
        "gender_description", "listed_publicly", "show_name", "show_organization",
        "show_stakeholder_group", "show_country")})
    data.organization_id = int(form.organization_id.data) if form.organization_id.data \
        else None
    for name in ("email", "region", "notes"):
        if hasattr(form, name):
            setattr(data, name, getattr(form, name).data)
    return data


@bp.route("/members/new", methods=["GET", "POST"])
@focal_contact_required
def new():
    form = MemberForm(organizations=queries.organizations())
    if form.validate_on_submit():
        try:
            member = services.create_member(acting_user(), _member_input(form))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"{member.name} was added as an active member.", "success")
            return redirect(url_for("members.detail", member_id=member.id))
    return render_template("members/edit.html", form=form, member=None)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit(member_id: int):
    member = db.get_or_404(Member, member_id)
    if member.erased_at:
        abort(404)
    form = MemberForm(obj=member, organizations=queries.organizations(include_archived=True))
    if request.method == "GET":
        form.region.data = member.region if member.region_overridden else ""
    if form.validate_on_submit():
        try:
            changes = services.update_member(acting_user(), member, _member_input(form))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("members.detail", member_id=member.id))
    return render_template("members/edit.html", form=form, member=member)


@bp.route("/members/me", methods=["GET", "POST"])
@login_required
def profile():
    user = acting_user()
    member = user.member
    if member is None:
        return render_template("members/no_profile.html")
    form = ProfileForm(obj=member, organizations=queries.organizations())
    if form.validate_on_submit():
        data = _member_input(form)
        data.email = member.email
        try:
            changes = services.update_member(user, member, data)
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Your profile is saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("members.profile"))
    return render_template("members/profile.html", form=form, member=member)


# --- status, archive, erase -----------------------------------------------------------

@bp.route("/members/<int:member_id>/status", methods=["POST"])
@focal_contact_required
def change_status(member_id: int):
    member = db.get_or_404(Member, member_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.set_status(acting_user(), member, form.status.data, form.on.data)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"{member.name} is now {member.status}.", "success")
    else:
        flash("Choose a status and a valid date.", "error")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/members/<int:member_id>/<any(archive, restore):action>", methods=["POST"])
@focal_contact_required
def archive(member_id: int, action: str):
    member = db.get_or_404(Member, member_id)
    try:
        if action == "archive":
            services.archive_member(acting_user(), member)
        else:
            services.restore_member(acting_user(), member)
    except ValidationError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        done = "archived (status left)" if action == "archive" else "restored"
        flash(f"{member.name} was {done}.", "success")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/members/<int:member_id>/erase", methods=["GET", "POST"])
@focal_contact_required
def erase(member_id: int):
    member = db.get_or_404(Member, member_id)
    form = EraseForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() != "ERASE":
            form.confirm.errors = [*form.confirm.errors, "Type ERASE in capitals to confirm."]
        else:
            services.erase_member(acting_user(), member)
            db.session.commit()
            flash("The member's personal data was erased. They are still counted, anonymously.",
                  "success")
            return redirect(url_for("members.detail", member_id=member.id))
    return render_template("members/erase.html", form=form, member=member)


# --- organizations --------------------------------------------------------------------

@bp.route("/organizations/")
def organizations():
    show_archived = current_user.is_authenticated and current_user.is_focal_contact \
        and request.args.get("archived") == "1"
    return render_template("members/organizations.html",
                           organizations=queries.organizations(include_archived=show_archived),
                           counts=queries.member_counts_by_organization(),
                           show_archived=show_archived)


def _organization_or_404(organization_id: int) -> Organization:
    organization = db.get_or_404(Organization, organization_id)
    if organization.is_archived and not (current_user.is_authenticated
                                         and current_user.is_focal_contact):
        abort(404)
    return organization


@bp.route("/organizations/<int:organization_id>")
def organization(organization_id: int):
    organization = _organization_or_404(organization_id)
    who = audience(current_user)
    filters = queries.DirectoryFilter(organization_id=organization.id, public=who == PUBLIC)
    page = queries.directory_page(filters, page_number())
    rows = [(member, visible_fields(member, who)) for member in page.items]
    return render_template("members/organization.html", organization=organization, page=page,
                           rows=rows, who=who)


def _organization_input(form: OrganizationForm) -> OrganizationInput:
    return OrganizationInput(name=form.name.data, acronym=form.acronym.data,
                             stakeholder_group=form.stakeholder_group.data or None,
                             country=form.country.data or None, website=form.website.data)


@bp.route("/organizations/new", methods=["GET", "POST"])
@focal_contact_required
def new_organization():
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            organization = services.create_organization(acting_user(), _organization_input(form))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"{organization.name} was added.", "success")
            return redirect(url_for("members.organization", organization_id=organization.id))
    return render_template("members/organization_edit.html", form=form, organization=None)


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@focal_contact_required
def edit_organization(organization_id: int):
    organization = _organization_or_404(organization_id)
    form = OrganizationForm(obj=organization)
    if form.validate_on_submit():
        try:
            services.update_organization(acting_user(), organization, _organization_input(form))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("members.organization", organization_id=organization.id))
    return render_template("members/organization_edit.html", form=form,
                           organization=organization)


@bp.route("/organizations/<int:organization_id>/<any(archive, restore):action>",
          methods=["POST"])
@focal_contact_required
def archive_organization(organization_id: int, action: str):
    organization = _organization_or_404(organization_id)
    services.set_organization_archived(acting_user(), organization, action == "archive")
    db.session.commit()
    flash(f"{organization.name} was {'archived' if action == 'archive' else 'restored'}.",
          "success")
    return redirect(url_for("members.organization", organization_id=organization.id))
