"""Imports every model so the metadata is complete (for Alembic and for tests)."""

from coalition.api.models import ApiToken
from coalition.audit.models import AuditEvent
from coalition.auth.models import Invitation, LoginAttempt, User
from coalition.db import Base
from coalition.members.models import Member, Organization

metadata = Base.metadata

__all__ = ["ApiToken", "AuditEvent", "Invitation", "LoginAttempt", "Member", "Organization",
           "User", "metadata"]
