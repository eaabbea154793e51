"""Everything that writes members and organizations: records, status, consent, erasure."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from coalition.audit import services as audit
from coalition.audit.models import AuditEvent
from coalition.auth.models import (
    Actor,
    LoginAttempt,
    User,
    is_active_focal_contact,
    new_session_token,
)
from coalition.db import today as today_utc
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import membership as list_membership
from coalition.members import countries
from coalition.members.models import (
    Gender,
    Member,
    MemberStatus,
    Organization,
    Region,
    StakeholderGroup,
)
from coalition.validation import clean_name, normalize_email

ERASED = "(erased)"

# Status changes a focal contact may make, and the date each one stamps.
TRANSITIONS: dict[str, set[str]] = {
    MemberStatus.APPLICANT: {MemberStatus.ACTIVE, MemberStatus.LEFT},
    MemberStatus.ACTIVE: {MemberStatus.LAPSED, MemberStatus.LEFT},
    MemberStatus.LAPSED: {MemberStatus.ACTIVE, MemberStatus.LEFT},
    MemberStatus.LEFT: {MemberStatus.ACTIVE},
}
STATUS_DATE = {MemberStatus.ACTIVE: "joined_on", MemberStatus.LAPSED: "lapsed_on",
               MemberStatus.LEFT: "left_on", MemberStatus.APPLICANT: "applied_on"}

# Fields a member may change on their own profile; the focal contact may change them all.
SELF_EDITABLE = ("name", "title", "organization_id", "organization_name", "stakeholder_group",
                 "country", "gender", "gender_description", "listed_publicly", "show_name",
                 "show_organization", "show_stakeholder_group", "show_country")
AUDITED = ("name", "email", "title", "organization_id", "organization_name",
           "stakeholder_group", "country", "region", "region_overridden", "gender",
           "gender_description", "listed_publicly", "show_name", "show_organization",
           "show_stakeholder_group", "show_country", "notes", "status", "applied_on",
           "joined_on", "lapsed_on", "left_on")
# Personal values: blanked by erasure, here and in the audit trail.
PERSONAL = ("name", "email", "title", "organization_name", "gender", "gender_description",
            "motivation", "notes", "decline_message")


@dataclass
class MemberInput:
    """What a form, an API call or an import row says about a member."""

    name: str = ""
    email: str | None = None
    title: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    stakeholder_group: str = ""
    country: str | None = None
    region: str | None = None  # set only to override the country's region
    gender: str | None = None
    gender_description: str | None = None
    listed_publicly: bool = False
    show_name: bool = False
    show_organization: bool = False
    show_stakeholder_group: bool = False
    show_country: bool = False
    motivation: str | None = None
    notes: str | None = None


@dataclass
class OrganizationInput:
    name: str = ""
    acronym: str | None = None
    stakeholder_group: str | None = None
    country: str | None = None
    website: str | None = None


# --- permissions ----------------------------------------------------------------------

def can_manage(actor: Actor) -> bool:
    return is_active_focal_contact(actor)


def require_manager(actor: Actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied("Only a focal contact can manage members.")


def can_edit(actor: Actor, member: Member) -> bool:
    """The focal contact edits anyone; a member edits their own record only."""
    if can_manage(actor):
        return True
    return isinstance(actor, User) and actor.is_active and actor.member_id == member.id


# --- checking input -------------------------------------------------------------------

def _text(value: str | None, field: str, max_length: int) -> str | None:
    value = " ".join((value or "").split())
    if len(value) > max_length:
        raise ValidationError(field, f"Keep it under {max_length} characters.")
    return value or None


def _choice(value: str | None, vocabulary, field: str, required: bool, what: str) -> str | None:
    if not value:
        if required:
            raise ValidationError(field, f"Choose {what}.")
        return None
    if value not in {v.value for v in vocabulary}:
        raise ValidationError(field, f"Choose {what} from the list.")
    return value


def check_country(value: str | None, field: str = "country") -> str | None:
    if not value:
        return None
    country = countries.find(value)
    if country is None:
        raise ValidationError(field, f"{value!r} is not a country we know (use its name or "
                                     "its two-letter ISO code).")
    return country.code


def _member_email_free(email: str, member_id: int | None) -> None:
    query = select(Member.id).where(Member.email == email)
    other = db.session.scalar(query)
    if other is not None and other != member_id:
        raise ValidationError("email", "Another member already has this e-mail address.")


def _organization(organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise ValidationError("organization_id", "Choose an organization from the list.")
    return organization


def apply_fields(member: Member, data: MemberInput, allowed: tuple[str, ...]) -> None:
    """Check `data` and copy the `allowed` fields onto `member`."""
    values = {
        "name": clean_name(data.name),
        "email": normalize_email(data.email) if data.email else None,
        "title": _text(data.title, "title", 200),
        "organization_id": data.organization_id,
        "organization_name": _text(data.organization_name, "organization_name", 300),
        "stakeholder_group": _choice(data.stakeholder_group, StakeholderGroup,
                                     "stakeholder_group", True, "a stakeholder group"),
        "country": check_country(data.country),
        "gender": _choice(data.gender, Gender, "gender", False, "a gender"),
        "gender_description": _text(data.gender_description, "gender_description", 100),
        "listed_publicly": bool(data.listed_publicly),
        "show_name": bool(data.show_name),
        "show_organization": bool(data.show_organization),
        "show_stakeholder_group": bool(data.show_stakeholder_group),
        "show_country": bool(data.show_country),
        "motivation": (data.motivation or "").strip() or None,
        "notes": (data.notes or "").strip() or None,
    }
    if values["gender"] != Gender.SELF_DESCRIBED:
        values["gender_description"] = None
    if values["email"] and "email" in allowed:
        _member_email_free(values["email"], member.id)
    organization = _organization(values["organization_id"])
    if organization is not None:
        values["organization_name"] = None  # linked: the free text is no longer needed
    for name in allowed:
        if name in values:
            setattr(member, name, values[name])
    if "organization_id" in allowed:
        member.organization = organization
    member.sort_name = member.name.lower()
    if "region" in allowed and data.region:
        member.region = _choice(data.region, Region, "region", True, "a region")
        member.region_overridden = member.region != countries.region_of(member.country)
    elif not member.region_overridden:
        member.region = countries.region_of(member.country).value


ALL_FIELDS = tuple(f.name for f in fields(MemberInput))


# --- members --------------------------------------------------------------------------

def create_member(actor: Actor, data: MemberInput, status: str = MemberStatus.ACTIVE,
                  today: date | None = None) -> Member:
    require_manager(actor)
    if status not in {s.value for s in MemberStatus}:
        raise ValidationError("status", "Choose a status from the list.")
    member = Member(status=status)
    apply_fields(member, data, ALL_FIELDS)
    setattr(member, STATUS_DATE[MemberStatus(status)], today or today_utc())
    db.session.add(member)
    audit.record(actor, "create", member, audit.diff({}, audit.snapshot(member, AUDITED)))
    list_membership.status_changed(actor, member, None)
    return member


def update_member(actor: Actor, member: Member, data: MemberInput) -> dict:
    """Change a member's record; returns the audited {field: [old, new]}."""
    if not can_edit(actor, member):
        raise PermissionDenied("You can only change your own profile.")
    if member.erased_at:
        raise ValidationError(None, "This member's personal data was erased.")
    before = audit.snapshot(member, AUDITED)
    apply_fields(member, data, ALL_FIELDS if can_manage(actor) else SELF_EDITABLE)
    changes = audit.diff(before, audit.snapshot(member, AUDITED))
    if changes:
        audit.record(actor, "update", member, changes)
    if "email" in changes:
        list_membership.email_changed(actor, member, before["email"])
    return changes


def set_status(actor: Actor, member: Member, status: str, on: date | None = None) -> None:
    """Move a member along applicant → active → lapsed → left (and back to active)."""
    require_manager(actor)
    status = MemberStatus(status)
    if status == member.status:
        return
    if status not in TRANSITIONS[MemberStatus(member.status)]:
        raise ValidationError("status", f"A member who is {member.status} cannot become "
                                        f"{status}.")
    before = audit.snapshot(member, AUDITED)
    old_status = member.status
    member.status = status.value
    setattr(member, STATUS_DATE[status], on or today_utc())
    if status == MemberStatus.ACTIVE:
        member.lapsed_on = member.left_on = None
    _sync_login(actor, member)
    audit.record(actor, "status", member, audit.diff(before, audit.snapshot(member, AUDITED)))
    list_membership.status_changed(actor, member, old_status)


def archive_member(actor: Actor, member: Member, on: date | None = None) -> None:
    """Archiving is leaving: the record stays, counted as `left`, and its login stops."""
    set_status(actor, member, MemberStatus.LEFT, on)


def restore_member(actor: Actor, member: Member, on: date | None = None) -> None:
    if member.erased_at:
        raise ValidationError(None, "An erased member cannot be restored.")
    set_status(actor, member, MemberStatus.ACTIVE, on)


def login_of(member: Member) -> User | None:
    return db.session.scalar(select(User).where(User.member_id == member.id))


def _sync_login(actor: Actor, member: Member) -> None:
    """A member who leaves can no longer sign in; coming back restores the login."""
    user = login_of(member)
    if user is None or user.is_focal_contact:
        return
    active = member.status in (MemberStatus.ACTIVE, MemberStatus.LAPSED)
    if user.is_active != active:
        user.is_active = active
        if not active:
            user.session_token = new_session_token()
        audit.record(actor, "activate" if active else "deactivate", user,
                     {"is_active": [not active, active]},
                     summary=f"member is {member.status}")


def erase_member(actor: Actor, member: Member, now: datetime | None = None) -> None:
    """Data-protection erasure: blank every personal field here, in the member's login and
    in the audit trail; keep group, region, country, status and dates for the counts."""
    require_manager(actor)
    if member.erased_at:
        return
    now = now or utcnow()
    if member.status != MemberStatus.LEFT:
        member.status = MemberStatus.LEFT.value
        member.left_on = now.date()
    old_email = member.email
    list_membership.erased(actor, member, now)
    for name in PERSONAL:
        setattr(member, name, None)
    member.name = f"Erased member {member.id}"
    member.sort_name = "~erased"  # sorts last
    for flag in ("listed_publicly", "show_name", "show_organization",
                 "show_stakeholder_group", "show_country"):
        setattr(member, flag, False)
    member.erased_at = now
    user = login_of(member)
    if user is not None:
        user_email = user.email
        user.email = f"erased-{user.id}@erased.invalid"
        user.name = "Erased"
        user.is_active = False
        user.password_hash = None
        user.session_token = new_session_token()
        _redact_audit("users", user.id)
        db.session.execute(update(LoginAttempt).where(LoginAttempt.email == user_email)
                           .values(email=ERASED))
    if old_email:
        db.session.execute(update(LoginAttempt).where(LoginAttempt.email == old_email)
                           .values(email=ERASED))
    _redact_audit("members", member.id)
    audit.record(actor, "erase", member, summary="personal data erased on request")


def _redact_audit(entity_type: str, entity_id: int) -> None:
    """Keep who changed what and when; blank the personal values in the changes."""
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id)))
    for event in events:
        if event.changes:
            event.changes = {
                field: ([ERASED, ERASED] if field in PERSONAL else values)
                for field, values in event.changes.items()}


# --- organizations --------------------------------------------------------------------

def _website(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc:
        raise ValidationError("website", "Enter a web address such as https://example.org.")
    return value[:500]


def _apply_organization(organization: Organization, data: OrganizationInput) -> None:
    name = clean_name(data.name, max_length=300)
    duplicate = db.session.scalar(select(Organization.id).where(
        func.lower(Organization.name) == name.lower()))
    if duplicate is not None and duplicate != organization.id:
        raise ValidationError("name", "There is already an organization with this name.")
    organization.name = name
    organization.acronym = _text(data.acronym, "acronym", 50)
    organization.stakeholder_group = _choice(
        data.stakeholder_group, StakeholderGroup, "stakeholder_group", False,
        "a stakeholder group")
    organization.country = check_country(data.country)
    organization.website = _website(data.website)


ORGANIZATION_FIELDS = ("name", "acronym", "stakeholder_group", "country", "website",
                       "is_archived")


def create_organization(actor: Actor, data: OrganizationInput) -> Organization:
    require_manager(actor)
    organization = Organization()
    _apply_organization(organization, data)
    db.session.add(organization)
    audit.record(actor, "create", organization,
                 audit.diff({}, audit.snapshot(organization, ORGANIZATION_FIELDS)))
    return organization


def update_organization(actor: Actor, organization: Organization,
                        data: OrganizationInput) -> None:
    require_manager(actor)
    before = audit.snapshot(organization, ORGANIZATION_FIELDS)
    _apply_organization(organization, data)
    changes = audit.diff(before, audit.snapshot(organization, ORGANIZATION_FIELDS))
    if changes:
        audit.record(actor, "update", organization, changes)


def set_organization_archived(actor: Actor, organization: Organization, archived: bool,
                              now: datetime | None = None) -> None:
    require_manager(actor)
    if organization.is_archived == archived:
        return
    organization.is_archived = archived
    organization.archived_at = (now or utcnow()) if archived else None
    audit.record(actor, "archive" if archived else "restore", organization,
                 {"is_archived": [not archived, archived]})


def organization_by_name(name: str) -> Organization | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    return db.session.scalar(select(Organization).where(
        (func.lower(Organization.name) == name.lower())
        | (func.lower(Organization.acronym) == name.lower())).limit(1))
