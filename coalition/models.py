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
from coalition.mail import search as _post_search  # noqa: F401 - the archive index's DDL
from coalition.mail.models import BounceEvent, Delivery, MailingList, Post, Subscription
from coalition.members.models import Member, Organization
from coalition.reports import search as _report_search  # noqa: F401 - the index's DDL
from coalition.reports.models import AllowedFileType, Report, ReportFile, ReportTag

metadata = Base.metadata

__all__ = ["ActionItem", "ActionPlan", "AllowedFileType", "ApiToken", "AuditEvent",
           "BounceEvent", "Delivery", "DigestRun", "Invitation", "ItemOwner", "ItemYear",
           "LoginAttempt", "MailingList", "Member", "Objective", "Organization", "Post",
           "Report", "ReportFile", "ReportTag", "StatusUpdate", "Subscription", "User",
           "YearClosure", "metadata"]
