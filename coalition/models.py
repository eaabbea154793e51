"""Imports every model so the metadata is complete (for Alembic and for tests)."""

from coalition.audit.models import AuditEvent
from coalition.auth.models import Invitation, LoginAttempt, User
from coalition.db import Base

metadata = Base.metadata

__all__ = ["AuditEvent", "Invitation", "LoginAttempt", "User", "metadata"]
