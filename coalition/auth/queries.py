"""Reading logins and invitations for the focal contact's pages."""

from __future__ import annotations

from sqlalchemy import select

from coalition.auth.models import Invitation, User
from coalition.extensions import db


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.is_active.desc(), User.name)))


def open_invitations() -> list[Invitation]:
    """Invitations not yet accepted or withdrawn (expired ones are shown so they can be redone)."""
    query = (select(Invitation)
             .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
             .order_by(Invitation.created_at.desc()))
    return list(db.session.scalars(query))


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
