"""Logins: users and their roles, invitations, and the record of sign-in attempts."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db
from coalition.members.models import Member


class Role(enum.StrEnum):
    FOCAL_CONTACT = "focal_contact"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"focal_contact": "Focal contact", "member": "Member"}[self.value]


def _role_check(column: str) -> CheckConstraint:
    values = ", ".join(f"'{role.value}'" for role in Role)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


def new_session_token() -> str:
    """A random value to put into cookies and links (rotated to invalidate them)."""
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    """A login. Later linked one-to-one to a member record (members come in their own module)."""

    __tablename__ = "users"
    __table_args__ = (_role_check("role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), default=Role.MEMBER.value)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie: changing it signs the user out everywhere (password change).
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reset_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member record this login belongs to (one login per member at most).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True)

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_focal_contact(self) -> bool:
        return self.role == Role.FOCAL_CONTACT

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def audit_label(self) -> str:
        return self.email

    def set_password(self, password: str, method: str = "scrypt",
                     now: datetime | None = None) -> None:
        self.password_hash = generate_password_hash(password, method=method)
        self.password_changed_at = now or utcnow()
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def can_manage_users(self) -> bool:
        return self.is_active and self.is_focal_contact

    def can_read_audit(self) -> bool:
        return self.is_active and self.is_focal_contact


@dataclass(frozen=True)
class SystemActor:
    """Who acts when a command (not a signed-in person) writes: `coalition users add`, …"""

    label: str
    id: None = None
    is_focal_contact: bool = True
    is_active: bool = True

    @property
    def audit_label(self) -> str:
        return self.label

    def can_manage_users(self) -> bool:
        return True

    def can_read_audit(self) -> bool:
        return True


Actor = User | SystemActor


def is_active_focal_contact(actor: Actor | None) -> bool:
    """Who may manage the coalition: an active focal contact's login, or a command. A
    visitor who is not signed in (None, or Flask-Login's anonymous user) never is."""
    return bool(actor is not None and getattr(actor, "is_authenticated", True) and
                actor.is_active and getattr(actor, "is_focal_contact", False))


class Invitation(db.Model):
    """An e-mailed invitation to choose a password; works once and until it expires."""

    __tablename__ = "invitations"
    __table_args__ = (_role_check("role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), default=Role.MEMBER.value)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # In the link's token, so a link can never open another invitation that later got
    # the same id (SQLite reuses the id of a rolled-back row).
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_session_token)
    # Accepting links the new login to this member (invitations sent on admission).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    def status(self, now: datetime) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "pending"


class LoginAttempt(db.Model):
    """One sign-in attempt, kept to rate-limit guessing per account and per client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
