"""Joining the coalition: a public application, its e-mail confirmation (double opt-in), and
the focal contact's decision to admit or decline."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coalition.audit import services as audit
from coalition.auth import services as auth
from coalition.auth.models import Actor, Role, User
from coalition.auth.queries import user_by_email
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import outgoing
from coalition.mail.messages import notification
from coalition.members import services
from coalition.members.models import Member, MemberStatus
from coalition.pagination import Page, paginate
from coalition.tokens import TokenExpired, TokenInvalid, make_token, read_token
from coalition.urls import external_url
from coalition.validation import normalize_email

CONFIRM_PURPOSE = "join-confirm"
CONFIRM_DAYS = 7
RESEND_MINUTES = 10  # at most one joining e-mail per address in this time
MOTIVATION_MAX = 2000
DECLINE_MESSAGE_MAX = 5000
PAGE_SIZE = 25

# What the public form may set; the rest (notes, region override, the organization link,
# status) is the focal contact's.
JOIN_FIELDS = ("name", "organization_name", "stakeholder_group", "country",
               "listed_publicly", "show_name", "show_organization", "show_stakeholder_group",
               "show_country", "motivation")


class LinkError(auth.LinkError):
    """A confirmation link that cannot be used, with the reason a person should read."""


# --- applying -------------------------------------------------------------------------

def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]


def confirmation_token(member: Member) -> str:
    """The link's token: the address it was sent to ("e") and the sending ("n"), so a link
    stops working when a newer one is sent or the address is changed."""
    sent_at = member.confirmation_sent_at
    payload = {"m": member.id, "e": _fingerprint(member.id, member.email),
               "n": _fingerprint(member.email, sent_at.isoformat())}
    return make_token(CONFIRM_PURPOSE, payload, sent_at + timedelta(days=CONFIRM_DAYS))


def _may_send(member: Member, now: datetime) -> bool:
    sent_at = member.confirmation_sent_at
    return sent_at is None or now - sent_at >= timedelta(minutes=RESEND_MINUTES)


def _checked(data: services.MemberInput) -> tuple[str, Member]:
    """The normalised address and a detached Member holding the checked public fields."""
    email = normalize_email(data.email or "")
    if not (data.country or "").strip():
        raise ValidationError("country", "Choose your country.")
    if len((data.motivation or "").strip()) > MOTIVATION_MAX:
        raise ValidationError("motivation", f"Keep it under {MOTIVATION_MAX} characters.")
    candidate = Member(status=MemberStatus.APPLICANT.value, region_overridden=False)
    # The public may not link an Organization or override the region.
    services.apply_fields(candidate, replace(data, organization_id=None, region=None, email=None),
                    JOIN_FIELDS)
    return email, candidate


def _copy(candidate: Member, member: Member) -> None:
    for name in JOIN_FIELDS:
        setattr(member, name, getattr(candidate, name))
    member.sort_name = candidate.sort_name
    member.organization = None  # free text until the focal contact admits them
    if not member.region_overridden:
        member.region = candidate.region


def apply(data: services.MemberInput, now: datetime | None = None) -> Member:
    """Take an application from the public form and e-mail the address a confirmation link.

    Whatever the address's history, the visitor is told the same thing ("check your
    e-mail"); what differs is only what that mailbox receives.
    """
    now = now or utcnow()
    email, candidate = _checked(data)
    member = db.session.scalar(select(Member).where(Member.email == email)
                               .with_for_update())
    if member is None:
        candidate.email = email
        candidate.applied_on = now.date()
        try:
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
        except IntegrityError:  # the same address applied in a parallel request
            member = db.session.scalar(select(Member).where(Member.email == email))
            if member is None:
                raise
        else:
            audit.record(None, "apply", candidate,
                         audit.diff({}, audit.snapshot(candidate, services.AUDITED)),
                         summary="applied through the join form")
            _send_confirmation(candidate, now)
            return candidate
    return _apply_again(member, candidate, now)


def _apply_again(member: Member, candidate: Member, now: datetime) -> Member:
    status = MemberStatus(member.status)
    if status in (MemberStatus.ACTIVE, MemberStatus.LAPSED):
        _tell(member, now, "You are already a member", "members/email/join_already_member.txt",
              "join form used by an existing member: told by e-mail")
        return member
    if status == MemberStatus.APPLICANT and member.email_confirmed_at is not None:
        # Confirmed and waiting for the focal contact: unconfirmed input may not change it.
        _tell(member, now, "Your application is with the focal contact",
              "members/email/join_already_pending.txt",
              "join form used again while the application awaits a decision")
        return member
    before = audit.snapshot(member, services.AUDITED)
    _copy(candidate, member)
    if status == MemberStatus.LEFT:
        # Declined or left earlier: a new application, decided afresh. One record per
        # address; the earlier dates, decline message and audit trail stay for the focal
        # contact to read.
        member.status = MemberStatus.APPLICANT.value
        member.applied_on = now.date()
        member.email_confirmed_at = None
        action, summary = "reapply", "applied again through the join form"
    else:
        action, summary = "apply", "changed the unconfirmed application through the join form"
    changes = audit.diff(before, audit.snapshot(member, services.AUDITED))
    sending = _may_send(member, now)
    if sending:
        summary += "; confirmation link sent"
    if changes or sending:  # a repeated identical request leaves no trace
        audit.record(None, action, member, changes, summary=summary)
    if sending:
        _send_confirmation(member, now)
    return member


def _send_confirmation(member: Member, now: datetime) -> None:
    member.confirmation_sent_at = now
    outgoing.queue(notification(
        member.name, member.email, f"Confirm your application to {current_app.config['NAME']}",
        "members/email/join_confirm.txt", member=member, days=CONFIRM_DAYS,
        link=external_url("join.confirm", token=confirmation_token(member))))


def _tell(member: Member, now: datetime, subject: str, template: str, summary: str) -> None:
    """A short note to the address instead of a link, at most once per RESEND_MINUTES."""
    if not _may_send(member, now):
        return
    member.confirmation_sent_at = now
    audit.record(None, "join_note", member, summary=summary)
    outgoing.queue(notification(
        member.name, member.email, subject, template, member=member,
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.forgot_password")))


# --- confirming -----------------------------------------------------------------------

LINK_INVALID = ("This confirmation link is not valid. Check that you copied all of it, or "
                "fill in the join form again to get a new one.")


def application_from_token(token: str, now: datetime | None = None) -> Member:
    """The application behind a confirmation link, or a LinkError saying why not. An
    application already confirmed comes back as it is (opening the link twice is fine)."""
    now = now or utcnow()
    try:
        payload = read_token(CONFIRM_PURPOSE, token, now)
    except TokenExpired:
        raise LinkError(f"This confirmation link has expired (links work for {CONFIRM_DAYS} "
                        "days). Fill in the join form again to get a new one.") from None
    except TokenInvalid:
        raise LinkError(LINK_INVALID) from None
    if not isinstance(payload, dict):
        raise LinkError(LINK_INVALID)
    # Locked, so two clicks at once cannot both confirm (and both notify the focal contact).
    member = db.session.get(Member, payload.get("m"), with_for_update=True) \
        if isinstance(payload.get("m"), int) else None
    if member is None or member.email is None or \
            payload.get("e") != _fingerprint(member.id, member.email):
        raise LinkError(LINK_INVALID)
    if member.status != MemberStatus.APPLICANT:
        raise LinkError("This link has already been used: the focal contact has decided on "
                        "this application and will have written to you. Fill in the join "
                        "form again if you want to apply anew.")
    if member.email_confirmed_at is not None:
        return member
    if member.confirmation_sent_at is None or \
            payload.get("n") != _fingerprint(member.email, member.confirmation_sent_at.isoformat()):
        raise LinkError("This link was replaced by a newer one. Use the link in the most "
                        "recent e-mail we sent you.")
    return member


def confirm(token: str, now: datetime | None = None) -> Member:
    """Confirm the address of an application; the focal contacts then hear of it."""
    now = now or utcnow()
    member = application_from_token(token, now)
    if member.email_confirmed_at is not None:
        return member  # confirmed earlier: nothing changes, nobody is told twice
    member.email_confirmed_at = now
    audit.record(None, "confirm", member, {"email_confirmed_at": [None, now.isoformat()]},
                 summary="applicant confirmed their e-mail address")
    _tell_focal_contacts(member)
    return member


def _tell_focal_contacts(member: Member) -> None:
    link = external_url("join.application", member_id=member.id)
    name = current_app.config["NAME"]
    for user in db.session.scalars(select(User).where(
            User.role == Role.FOCAL_CONTACT.value, User.is_active.is_(True))
            .order_by(User.id)):
        outgoing.queue(notification(
            user.name, user.email, f"New application to {name}: {member.name}",
            "members/email/join_application.txt", member=member, focal=user, link=link))


# --- deciding -------------------------------------------------------------------------

def can_decide(actor: Actor) -> bool:
    return services.can_manage(actor)


def _require_decider(actor: Actor) -> None:
    if not can_decide(actor):
        raise PermissionDenied("Only a focal contact can decide on applications.")


def _require_pending(member: Member) -> None:
    if member.status != MemberStatus.APPLICANT:
        raise ValidationError(None, f"{member.name} is not an applicant (the application "
                                    "was decided already).")
    if member.email_confirmed_at is None:
        raise ValidationError(None, f"{member.name} has not confirmed their e-mail address "
                                    "yet; the application can be decided once they have.")


def approve(actor: Actor, member: Member, now: datetime | None = None) -> User | None:
    """Admit an applicant: active member, organization linked, invited to choose a password.
    Returns the login the member already had, if any (then no invitation is sent)."""
    _require_decider(actor)
    _require_pending(member)
    now = now or utcnow()
    _link_organization(actor, member)
    user = user_by_email(member.email)
    if user is not None:
        _link_login(actor, user, member)
    # After linking, so a deactivated login of a returning member comes back with them.
    services.set_status(actor, member, MemberStatus.ACTIVE, on=now.date())
    audit.record(actor, "approve", member, summary="application approved")
    if user is None:
        auth.invite(actor, email=member.email, name=member.name, role=Role.MEMBER.value,
                    member_id=member.id, now=now)
    return user


def _link_organization(actor: Actor, member: Member) -> None:
    if member.organization_id is not None or not member.organization_name:
        return
    organization = services.organization_by_name(member.organization_name)
    if organization is None:
        organization = services.create_organization(actor, services.OrganizationInput(
            name=member.organization_name, stakeholder_group=member.stakeholder_group,
            country=member.country))
    before = audit.snapshot(member, ("organization_id", "organization_name"))
    member.organization = organization
    member.organization_name = None
    db.session.flush()
    audit.record(actor, "update", member, audit.diff(before, audit.snapshot(
        member, ("organization_id", "organization_name"))),
        summary="organization linked on approval")


def _link_login(actor: Actor, user: User, member: Member) -> None:
    if user.member_id is not None or services.login_of(member) is not None:
        return  # already someone's login, or the member already has one
    user.member_id = member.id
    audit.record(actor, "link_member", user, {"member_id": [None, member.id]},
                 summary="login linked to the admitted member")


def decline(actor: Actor, member: Member, message: str, now: datetime | None = None) -> None:
    """Decline an application with a message the applicant receives by e-mail."""
    _require_decider(actor)
    message = (message or "").strip()
    if not message:
        raise ValidationError("message", "Write a message to the applicant: it is e-mailed "
                                         "to them with the decision.")
    if len(message) > DECLINE_MESSAGE_MAX:
        raise ValidationError("message", f"Keep it under {DECLINE_MESSAGE_MAX} characters.")
    _require_pending(member)
    now = now or utcnow()
    services.set_status(actor, member, MemberStatus.LEFT, on=now.date())
    member.declined_at = now
    member.decline_message = message
    # The message itself is personal data (erasure blanks it): the trail says only that.
    audit.record(actor, "decline", member, {"declined_at": [None, now.isoformat()]},
                 summary="application declined; the applicant was e-mailed the message")
    outgoing.queue(notification(
        member.name, member.email,
        f"Your application to {current_app.config['NAME']}",
        "members/email/join_declined.txt", member=member, message=message))


# --- reading --------------------------------------------------------------------------

def awaiting_decision(page: int = 1) -> Page:
    """Confirmed applications for the focal contact, newest confirmation first."""
    query = (select(Member)
             .where(Member.status == MemberStatus.APPLICANT.value,
                    Member.email_confirmed_at.is_not(None))
             .order_by(Member.email_confirmed_at.desc(), Member.id.desc()))
    return paginate(query, page, PAGE_SIZE)


def unconfirmed_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member).where(
        Member.status == MemberStatus.APPLICANT.value,
        Member.email_confirmed_at.is_(None))) or 0
