"""Everything that writes users: accounts, sign-in attempts, invitations, passwords."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from coalition.audit import services as audit
from coalition.auth import notifications
from coalition.auth.models import Actor, Invitation, LoginAttempt, Role, User, new_session_token
from coalition.auth.queries import user_by_email
from coalition.db import utcnow
from coalition.errors import DomainError, PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.tokens import TokenExpired, TokenInvalid, make_token, read_token
from coalition.validation import check_password, clean_name, normalize_email


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked when the account does not exist, so both cases take the same time."""
    return generate_password_hash(secrets.token_hex(16), method=method)


WRONG_CREDENTIALS = "The e-mail address or the password is not correct."
LINK_INVALID = "This link is not valid. Check that you copied all of it, or ask for a new one."
LINK_USED = "This link has already been used. Ask for a new one if you still need it."
RESET_RESEND_MINUTES = 5  # at most one reset e-mail per address in this time


class LoginLocked(DomainError):
    """Too many failed sign-ins; `minutes` until the next attempt is allowed."""

    def __init__(self, message: str, minutes: int):
        super().__init__(message)
        self.message = message
        self.minutes = minutes


class LinkError(DomainError):
    """An e-mailed link that cannot be used, with the reason a person should read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise ValidationError("role", "Choose focal contact or member.")
    return role


def _require_user_manager(actor: Actor) -> None:
    if not actor.can_manage_users():
        raise PermissionDenied("Only a focal contact can manage logins.")


def _ensure_email_free(email: str) -> None:
    if user_by_email(email) is not None:
        raise ValidationError("email", "There is already a login with this e-mail address.")


def create_user(actor: Actor, *, email: str, name: str, role: str, password: str) -> User:
    _require_user_manager(actor)
    email = normalize_email(email)
    name = clean_name(name)
    _check_role(role)
    _ensure_email_free(email)
    check_password(password, email)
    user = User(email=email, name=name, role=role)
    user.set_password(password, _hash_method())
    db.session.add(user)
    audit.record(actor, "create", user, {"email": [None, email], "name": [None, name],
                                         "role": [None, role]})
    return user


# --- signing in -----------------------------------------------------------------------

def _lock_minutes(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Minutes until fewer than `limit` of the failure `times` (ascending) are in the window."""
    if len(times) < limit:
        return 0
    unlock_at = times[len(times) - limit] + window
    return max(1, -(-int((unlock_at - now).total_seconds()) // 60))


def _failures(column, value: str, since: datetime) -> list[datetime]:
    query = (select(LoginAttempt.at)
             .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
             .order_by(LoginAttempt.at))
    return list(db.session.scalars(query))


def _address_key(ip: str) -> str:
    """IPv6 clients are counted per /64, the block one subscriber usually holds."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:45]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _serialize_attempts(email: str) -> None:
    """Attempts on one account run one at a time, so parallel guesses cannot all pass the
    check before any failure is recorded (SQLite already serialises writers)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(email))))


def _record_attempt(email: str, ip: str, ok: bool, now: datetime) -> None:
    db.session.add(LoginAttempt(email=email, ip=_address_key(ip), succeeded=ok, at=now))
    db.session.flush()


def _check_not_locked(email: str, user: User | None, ip: str, now: datetime) -> None:
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    since = now - window
    if user is not None and user.password_changed_at and user.password_changed_at > since:
        since = user.password_changed_at  # a new password starts a clean slate
    minutes = _lock_minutes(_failures(LoginAttempt.email, email, since),
                            config["LOGIN_MAX_FAILURES"], window, now)
    if minutes:
        raise LoginLocked(
            "Too many failed sign-in attempts for this account. For its protection, "
            f"signing in is paused for {minutes} minute{'s' if minutes != 1 else ''}. "
            "You can reset your password meanwhile.", minutes)
    minutes = _lock_minutes(_failures(LoginAttempt.ip, _address_key(ip), now - window),
                            config["LOGIN_MAX_FAILURES_PER_IP"], window, now)
    if minutes:
        raise LoginLocked(
            "Too many failed sign-in attempts from your network. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.", minutes)


def authenticate(email: str, password: str, ip: str, now: datetime | None = None) -> User:
    """The user these credentials belong to, or an error; every attempt is recorded."""
    now = now or utcnow()
    email = (email or "").strip().lower()[:254]
    _serialize_attempts(email)
    user = user_by_email(email) if email else None
    _check_not_locked(email, user, ip, now)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        ok = False
    else:
        ok = user.check_password(password)
    _record_attempt(email, ip, ok, now)
    if not ok:
        raise ValidationError(None, WRONG_CREDENTIALS)
    if not user.is_active:
        raise ValidationError(None, "This login has been deactivated. "
                                    "Ask the coalition's focal contact if you need it again.")
    user.last_login_at = now
    return user


# --- invitations ----------------------------------------------------------------------

def invitation_token(invitation: Invitation) -> str:
    return make_token("invitation", {"i": invitation.id, "n": invitation.token_nonce},
                      invitation.expires_at)


def invite(actor: Actor, *, email: str, name: str, role: str = Role.MEMBER.value,
           member_id: int | None = None, now: datetime | None = None) -> Invitation:
    """Invite someone to choose a password; an earlier pending invitation is superseded."""
    _require_user_manager(actor)
    now = now or utcnow()
    email = normalize_email(email)
    name = clean_name(name)
    _check_role(role)
    _ensure_email_free(email)
    for earlier in db.session.scalars(select(Invitation).where(
            Invitation.email == email, Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None))):
        earlier.revoked_at = now
        audit.record(actor, "supersede", earlier, summary="replaced by a new invitation")
    invitation = Invitation(
        email=email, name=name, role=role, created_at=now, member_id=member_id,
        invited_by_id=actor.id,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]))
    db.session.add(invitation)
    audit.record(actor, "invite", invitation, {"email": [None, email], "role": [None, role]})
    notifications.invitation(invitation, invitation_token(invitation), actor)
    return invitation


def revoke_invitation(actor: Actor, invitation: Invitation, now: datetime | None = None) -> None:
    _require_user_manager(actor)
    now = now or utcnow()
    if invitation.status(now) != "pending":
        raise ValidationError(None, "Only a pending invitation can be withdrawn.")
    invitation.revoked_at = now
    audit.record(actor, "revoke", invitation)


def invitation_from_token(token: str, now: datetime | None = None) -> Invitation:
    """The pending invitation behind a link, or a LinkError saying why it cannot be used."""
    now = now or utcnow()
    try:
        payload = read_token("invitation", token, now)
    except TokenExpired:
        raise LinkError("This invitation has expired. Ask the focal contact to invite "
                        "you again.") from None
    except TokenInvalid:
        raise LinkError(LINK_INVALID) from None
    # Locked, so two submissions of one link at once cannot both accept it.
    invitation = db.session.get(Invitation, payload.get("i"), with_for_update=True)
    if invitation is None or invitation.token_nonce != payload.get("n"):
        raise LinkError(LINK_INVALID)
    status = invitation.status(now)
    if status == "accepted":
        raise LinkError("This invitation has already been used. Sign in with the password "
                        "you chose, or reset it if you forgot it.")
    if status == "revoked":
        raise LinkError("This invitation was withdrawn or replaced by a newer one. Use the "
                        "link in the most recent invitation e-mail.")
    if status == "expired":
        raise LinkError("This invitation has expired. Ask the focal contact to invite "
                        "you again.")
    return invitation


def accept_invitation(token: str, *, password: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    invitation = invitation_from_token(token, now)
    _ensure_email_free(invitation.email)
    check_password(password, invitation.email)
    user = User(email=invitation.email, name=invitation.name, role=invitation.role,
                member_id=invitation.member_id, created_at=now)
    user.set_password(password, _hash_method(), now)
    db.session.add(user)
    db.session.flush()
    invitation.accepted_at = now
    invitation.user_id = user.id
    audit.record(user, "create", user, {"email": [None, user.email], "role": [None, user.role]},
                 summary="accepted an invitation")
    audit.record(user, "accept", invitation)
    return user


# --- passwords ------------------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works only once."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:20]


def password_reset_token(user: User, now: datetime | None = None) -> str:
    now = now or utcnow()
    expires_at = now + timedelta(minutes=current_app.config["RESET_MINUTES"])
    return make_token("password-reset", {"u": user.id, "f": _password_fingerprint(user)},
                      expires_at)


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """E-mail a reset link if the address has an active login; say nothing either way."""
    try:
        email = normalize_email(email)
    except ValidationError:
        return
    user = user_by_email(email)
    if user is None or not user.is_active:
        return
    now = now or utcnow()
    if user.reset_sent_at and now - user.reset_sent_at < timedelta(minutes=RESET_RESEND_MINUTES):
        return  # one is on its way; repeated requests must not flood the inbox
    user.reset_sent_at = now
    notifications.password_reset(user, password_reset_token(user, now))


def user_from_reset_token(token: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    try:
        payload = read_token("password-reset", token, now)
    except TokenExpired:
        raise LinkError("This password-reset link has expired (links work for "
                        f"{current_app.config['RESET_MINUTES']} minutes). "
                        "Ask for a new one.") from None
    except TokenInvalid:
        raise LinkError(LINK_INVALID) from None
    # Locked, so two submissions of one link at once cannot both set a password.
    user = db.session.get(User, payload.get("u"), with_for_update=True)
    if user is None or not user.is_active:
        raise LinkError(LINK_INVALID)
    if payload.get("f") != _password_fingerprint(user):
        raise LinkError(LINK_USED)
    return user


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    user = user_from_reset_token(token, now)
    check_password(password, user.email)
    user.set_password(password, _hash_method(), now)
    audit.record(user, "reset_password", user, {"password": ["(hidden)", "(hidden)"]})
    return user


def change_password(user: User, *, current_password: str, new_password: str, ip: str,
                    now: datetime | None = None) -> None:
    """Guesses of the current password count toward the same lockout as sign-ins."""
    now = now or utcnow()
    _serialize_attempts(user.email)
    _check_not_locked(user.email, user, ip, now)
    if not user.check_password(current_password):
        _record_attempt(user.email, ip, False, now)
        raise ValidationError("current_password", "This is not your current password.")
    check_password(new_password, user.email, field="password")
    user.set_password(new_password, _hash_method())
    audit.record(user, "change_password", user, {"password": ["(hidden)", "(hidden)"]})


# --- managing logins ------------------------------------------------------------------

def _active_focal_contacts() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.FOCAL_CONTACT.value, User.is_active.is_(True))) or 0


def set_active(actor: Actor, user: User, active: bool) -> None:
    _require_user_manager(actor)
    if user.is_active == active:
        return
    if not active and user.is_focal_contact and _active_focal_contacts() <= 1:
        raise ValidationError(None, "The last active focal contact cannot be deactivated.")
    before = audit.snapshot(user, ["is_active"])
    user.is_active = active
    if not active:
        user.session_token = new_session_token()  # signs them out everywhere
    audit.record(actor, "activate" if active else "deactivate", user,
                 audit.diff(before, {"is_active": active}))


def change_role(actor: Actor, user: User, role: str) -> None:
    _require_user_manager(actor)
    _check_role(role)
    if user.role == role:
        return
    if user.is_focal_contact and user.is_active and _active_focal_contacts() <= 1:
        raise ValidationError("role", "The last active focal contact must keep that role.")
    before = audit.snapshot(user, ["role"])
    user.role = role
    audit.record(actor, "change_role", user, audit.diff(before, {"role": role}))
