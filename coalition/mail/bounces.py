"""Bounce scores: failed deliveries count against a subscription until it is disabled.

As in Mailman: a hard bounce counts 1, a soft one 0.5, at most one bounce a day counts, a
score older than a week starts again from nothing, and at the threshold the subscription
is disabled and the list's owners are told. The SMTP replies of the outbox feed it now;
delivery status notifications (part 2) feed the same function.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from coalition.audit import services as audit
from coalition.auth.models import SystemActor
from coalition.extensions import db
from coalition.mail import notifications
from coalition.mail.models import BounceEvent, Subscription, SubscriptionStatus

STALE_AFTER = timedelta(days=7)
HARD, SOFT = 1.0, 0.5
WORKER = SystemActor("command: mail deliver")


def register_bounce(subscription: Subscription, at: datetime, reply: str, source: str,
                    is_hard: bool = True, delivery_id: int | None = None) -> BounceEvent:
    last = subscription.last_bounce_at
    counted = last is None or last.date() != at.date()
    event = BounceEvent(subscription=subscription, delivery_id=delivery_id, at=at,
                        source=source, is_hard=is_hard, reply=reply[:500], counted=counted)
    db.session.add(event)
    if not counted:
        return event
    if last is not None and at - last > STALE_AFTER:
        subscription.bounce_score = 0.0
    subscription.bounce_score += HARD if is_hard else SOFT
    subscription.last_bounce_at = at
    threshold = current_app.config["BOUNCE_THRESHOLD"]
    if subscription.status == SubscriptionStatus.ACTIVE and \
            subscription.bounce_score >= threshold:
        subscription.status = SubscriptionStatus.DISABLED.value
        subscription.disabled_at = at
        audit.record(WORKER, "disable", subscription,
                     {"status": ["active", "disabled"]},
                     summary=f"bounce score {subscription.bounce_score:.1f} reached "
                             f"{threshold}: {reply[:200]}")
        notifications.subscription_disabled(subscription, reply)
    return event
