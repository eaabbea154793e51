"""Joining the coalition: the public application form, e-mail confirmation, and the focal
contact's decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from coalition.auth.permissions import focal_contact_required
from coalition.db import writes_on_get
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import countries, joining
from coalition.members.forms import ConsentFields, country_choices
from coalition.members.models import Member, MemberStatus, StakeholderGroup
from coalition.members.services import MemberInput, organization_by_name
from coalition.web import acting_user, page_number, show_error, token_page

bp = Blueprint("join", __name__)

PUBLIC_LABELS = {"name": "name", "organization": "organization",
                 "stakeholder_group": "stakeholder group", "country": "country and region"}


class JoinForm(FlaskForm, ConsentFields):
    # Required fields are checked here so every missing one is named at once; the service
    # checks the values themselves (a real address, a group and a country from the list).
    name = StringField("Your name", validators=[InputRequired("Enter your name."),
                                                Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("E-mail address",
                       validators=[InputRequired("Enter your e-mail address."),
                                   Length(max=254)],
                       description="We send a link to this address to confirm it.",
                       render_kw={"autocomplete": "email"})
    organization_name = StringField(
        "Organization", validators=[Length(max=300)],
        description="Leave it empty if you join as an individual.",
        render_kw={"autocomplete": "organization"})
    stakeholder_group = SelectField(
        "Stakeholder group", validate_choice=False,
        validators=[InputRequired("Choose your stakeholder group.")],
        choices=[SelectChoice("", "Choose a group"),
                 *(SelectChoice(group.value, group.label) for group in StakeholderGroup)])
    country = SelectField("Country", validate_choice=False,
                          validators=[InputRequired("Choose your country.")])
    motivation = TextAreaField(
        "Why do you want to join?", validators=[Length(max=joining.MOTIVATION_MAX)],
        description="A few sentences for the focal contact about you and your interest in "
                    "the coalition's work.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def to_input(self) -> MemberInput:
        return MemberInput(
            name=self.name.data or "", email=self.email.data,
            organization_name=self.organization_name.data,
            stakeholder_group=self.stakeholder_group.data or "",
            country=self.country.data, motivation=self.motivation.data,
            listed_publicly=self.listed_publicly.data, show_name=self.show_name.data,
            show_organization=self.show_organization.data,
            show_stakeholder_group=self.show_stakeholder_group.data,
            show_country=self.show_country.data)


class DeclineForm(FlaskForm):
    message = TextAreaField(
        "Message to the applicant",
        validators=[InputRequired("Write a message to the applicant: it is e-mailed to them "
                                  "with the decision."),
                    Length(max=joining.DECLINE_MESSAGE_MAX)],
        description="E-mailed to the applicant with the decision.")


@bp.route("/join", methods=["GET", "POST"])
def join():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            joining.apply(form.to_input())
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            return render_template("members/join_sent.html", email=form.email.data.strip(),
                                   days=joining.CONFIRM_DAYS,
                                   minutes=joining.RESEND_MINUTES)
    status = 400 if form.is_submitted() else 200
    return render_template("members/join.html", form=form), status


@bp.route("/join/confirm/<token>")
def confirm(token: str):
    # A GET that writes, as every e-mailed confirmation link must; opening it again (or a
    # mail scanner opening it first) changes nothing more.
    writes_on_get(db.session)
    try:
        application = joining.application_from_token(token)
        already = application.email_confirmed_at is not None
        joining.confirm(token)
    except joining.LinkError as error:
        db.session.rollback()
        return token_page((render_template("members/join_link_error.html",
                                           message=error.message), 400))
    db.session.commit()
    return token_page(render_template("members/join_confirmed.html", member=application,
                                      already=already))


@bp.route("/members/applications/")
@focal_contact_required
def applications():
    return render_template("members/applications.html",
                           page=joining.awaiting_decision(page_number()),
                           unconfirmed=joining.unconfirmed_count(),
                           country_name=countries.name_of,
                           days=joining.CONFIRM_DAYS)


def _application_or_404(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.status != MemberStatus.APPLICANT:
        abort(404)
    return member


def _paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _show(member: Member, form: DeclineForm, status: int = 200):
    motivation = _paragraphs(member.motivation)
    public_fields = [label for field, label in PUBLIC_LABELS.items() if member.shows(field)]
    organization = None
    if member.organization is None and member.organization_name:
        organization = organization_by_name(member.organization_name)
    return render_template("members/application.html", member=member, form=form,
                           country=countries.name_of(member.country), motivation=motivation,
                           decline_message=_paragraphs(member.decline_message),
                           public_fields=public_fields, organization=organization), status


@bp.route("/members/applications/<int:member_id>")
@focal_contact_required
def application(member_id: int):
    return _show(_application_or_404(member_id), DeclineForm())


@bp.route("/members/applications/<int:member_id>/approve", methods=["POST"])
@focal_contact_required
def approve(member_id: int):
    member = _application_or_404(member_id)
    try:
        existing_login = joining.approve(acting_user(), member)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("join.application", member_id=member_id))
    db.session.commit()
    if existing_login is None:
        flash(f"{member.name} is now a member. An invitation to choose a password was sent "
              f"to {member.email}.", "success")
    else:
        flash(f"{member.name} is now a member. They already had a login ({existing_login.email}), "
              "so no invitation was sent.", "success")
    return redirect(url_for("join.applications"))


@bp.route("/members/applications/<int:member_id>/decline", methods=["POST"])
@focal_contact_required
def decline(member_id: int):
    member = _application_or_404(member_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            joining.decline(acting_user(), member, form.message.data)
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"The application of {member.name} was declined, and your message was "
                  f"e-mailed to {member.email}.", "success")
            return redirect(url_for("join.applications"))
    return _show(member, form, 400)
