"""Moderation: posts held for a moderator's decision, and what becomes of them.

A post is held by the list's rules (rules.py) with a reason; the sender is told it waits,
the list's moderators are told there is something to decide; an undecided post expires
after the list's `hold_days`."""

from __future__ import annotations

from datetime import datetime, timedelta

from coalition.audit import services as audit
from coalition.auth.models import SystemActor
from coalition.mail import notifications
from coalition.mail.models import Post, PostStatus

RULES = SystemActor("list rules")


def hold(post: Post, reason: str, now: datetime) -> None:
    """Hold the post for moderation: `reason` is shown to moderators and the sender."""
    post.status = PostStatus.HELD.value
    post.hold_reason = reason[:500]
    post.held_at = now
    post.hold_expires_at = now + timedelta(days=post.mailing_list.hold_days)
    audit.record(RULES, "hold", post, {"status": [None, "held"]}, summary=reason[:200])
    notifications.post_held(post)
