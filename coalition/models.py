"""Imports every model so the metadata is complete (for Alembic and for tests)."""

from coalition.actions.models import (
    ActionItem,
    ActionPlan,
    DigestRun,
    ItemOwner,
    ItemYear,
    Objective,
    StatusUpdate,
    YearClosure,
)
from coalition.api.models import ApiToken
from coalition.audit.models import AuditEvent
from coalition.auth.models import Invitation, LoginAttempt, User
from coalition.db import Base
from coalition.members.models import Member, Organization
from coalition.reports import search as _report_search  # noqa: F401 - the index's DDL
from coalition.reports.models import AllowedFileType, Report, ReportFile, ReportTag

metadata = Base.metadata

__all__ = ["ActionItem", "ActionPlan", "AllowedFileType", "ApiToken", "AuditEvent", "DigestRun",
           "Invitation", "ItemOwner", "ItemYear", "LoginAttempt", "Member", "Objective",
           "Organization", "Report", "ReportFile", "ReportTag", "StatusUpdate", "User",
           "YearClosure", "metadata"]
