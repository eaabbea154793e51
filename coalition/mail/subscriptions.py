"""Everything that writes subscriptions: double opt-in, confirming, unsubscribing (also by
one-click), approvals, focal contacts adding and removing, a member's own subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from coalition.audit import services as audit
from coalition.auth.models import Actor, User
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import notifications
from coalition.mail.membership import activate
from coalition.mail.models import (
    MailingList,
    Subscription,
    SubscriptionEnd,
    SubscriptionPolicy,
    SubscriptionSource,
    SubscriptionStatus,
)
from coalition.mail.services import (
    can_manage,
    can_moderate,
    field_line,
    member_of,
    own_subscription,
    require_manager,
)
from coalition.members.models import Member
from coalition.tokens import TokenExpired, TokenInvalid, make_token, read_token
from coalition.validation import normalize_email

CONFIRM_PURPOSE = "list-subscribe"
# A second request for the same address within this time sends no second e-mail.
CONFIRMATION_RESEND_AFTER = timedelta(hours=1)
SUBSCRIPTION_AUDITED = ("email", "name", "status", "delivery_enabled", "bounce_score")


# --- subscriptions: changes of state ----------------------------------------------------

def _find(mailing_list: MailingList, email: str) -> Subscription | None:
    return db.session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.email == email))


def _change(actor: Actor | None, subscription: Subscription, action: str,
            before: dict, summary: str = "") -> None:
    changes = audit.diff(before, audit.snapshot(subscription, SUBSCRIPTION_AUDITED))
    audit.record(actor, action, subscription, changes, summary=summary)


def _require_open(mailing_list: MailingList) -> None:
    if mailing_list.is_archived:
        raise ValidationError(None, "This list is archived: it takes no new subscribers.")


@dataclass(frozen=True)
class SubscribeRequest:
    """What happened, for the page to say (never whether the address was already there)."""

    subscription: Subscription
    confirmation_sent: bool


def request_subscription(mailing_list: MailingList, email: str, name: str = "",
                         now: datetime | None = None,
                         source: str = SubscriptionSource.WEB.value) -> SubscribeRequest:
    """Someone asks on the public form (or by a `subscribe` e-mail command, source
    "email"): a confirmation link goes to the address, and nothing else until it is
    confirmed. Asking again within the hour sends nothing."""
    now = now or utcnow()
    _require_open(mailing_list)
    if not mailing_list.public_subscribe:
        raise ValidationError(None, "This list does not take subscriptions by this form.")
    email = normalize_email(email)
    name = field_line(name, "name", 200, False)
    subscription = _find(mailing_list, email)
    if subscription is None:
        subscription = Subscription(mailing_list=mailing_list, email=email, name=name,
                                    source=source,
                                    status=SubscriptionStatus.PENDING.value)
        db.session.add(subscription)
        db.session.flush()
    elif subscription.is_active or subscription.awaits_approval:
        return SubscribeRequest(subscription, confirmation_sent=False)
    if subscription.status != SubscriptionStatus.PENDING:
        before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
        subscription.status = SubscriptionStatus.PENDING.value
        subscription.source = source
        subscription.confirmed_at = None
        _change(None, subscription, "request", before)
    elif subscription.confirmation_sent_at is not None and \
            now - subscription.confirmation_sent_at < CONFIRMATION_RESEND_AFTER:
        return SubscribeRequest(subscription, confirmation_sent=False)
    if name and not subscription.name:
        subscription.name = name
    subscription.confirmation_sent_at = now
    audit.record(None, "confirmation_sent", subscription)
    notifications.confirm_subscription(subscription, confirmation_token(subscription, now))
    return SubscribeRequest(subscription, confirmation_sent=True)


def confirmation_token(subscription: Subscription, now: datetime) -> str:
    days = current_app.config["SUBSCRIBE_CONFIRM_DAYS"]
    return make_token(CONFIRM_PURPOSE, {"s": subscription.id, "e": subscription.email},
                      now + timedelta(days=days))


def subscription_for_confirmation(token: str, now: datetime | None = None) -> Subscription:
    """The pending subscription a confirmation link is for; a clear error otherwise."""
    now = now or utcnow()
    try:
        payload = read_token(CONFIRM_PURPOSE, token, now)
    except TokenExpired:
        raise ValidationError(None, "This confirmation link has expired. Ask to subscribe "
                                    "again and use the new link.") from None
    except TokenInvalid:
        raise ValidationError(None, "This confirmation link is not valid. Check that you "
                                    "copied all of it.") from None
    subscription = db.session.get(Subscription, payload.get("s")) \
        if isinstance(payload, dict) else None
    if subscription is None or subscription.email != payload.get("e"):
        raise ValidationError(None, "This confirmation link is not valid any more.")
    if subscription.status in (SubscriptionStatus.UNSUBSCRIBED, SubscriptionStatus.DISABLED):
        # Removed (or left) since the link was sent: an old link must not undo that.
        raise ValidationError(None, "This confirmation link is not valid any more. Ask to "
                                    "subscribe again and use the new link.")
    return subscription


def confirm_subscription(token: str, now: datetime | None = None) -> Subscription:
    """The address's owner confirmed: subscribed, or waiting for a focal contact."""
    now = now or utcnow()
    subscription = subscription_for_confirmation(token, now)
    _require_open(subscription.mailing_list)
    if subscription.status != SubscriptionStatus.PENDING or subscription.confirmed_at:
        return subscription  # a second click changes nothing
    if not subscription.mailing_list.public_subscribe:
        raise ValidationError(None, "This list no longer takes subscriptions by this form.")
    before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
    subscription.confirmed_at = now
    if subscription.mailing_list.subscription_policy == SubscriptionPolicy.OPEN:
        activate(subscription, now)
    else:  # confirm, then a focal contact approves: tell them someone waits
        notifications.subscription_awaits_approval(subscription)
    _change(None, subscription, "confirm", before)
    return subscription


def subscription_by_token(token: str) -> Subscription | None:
    """The subscription an unsubscribe link names (the token is its secret)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Subscription).where(Subscription.token == token))


def unsubscribe(actor: Actor | None, subscription: Subscription, how: str,
                now: datetime | None = None) -> bool:
    """Leave the list at once (a link, a one-click POST, the profile, a focal contact).
    Returns False when there was nothing to do. The row stays, with its history."""
    now = now or utcnow()
    if actor is not None and not can_manage(actor) and \
            own_subscription(actor, subscription.mailing_list) is not subscription:
        raise PermissionDenied("You can only change your own subscriptions.")
    if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        return False
    before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
    subscription.status = SubscriptionStatus.UNSUBSCRIBED.value
    subscription.unsubscribed_at = now
    by_manager = can_manage(actor) and \
        own_subscription(actor, subscription.mailing_list) is not subscription
    subscription.ended_by = (SubscriptionEnd.MANAGER if by_manager else SubscriptionEnd.SELF).value
    _change(actor, subscription, "unsubscribe", before, summary=how)
    return True


# What a focal contact's removal says in the audit trail (unsubscribe's `how`): the one
# kind of unsubscription a focal contact may undo.
REMOVED_BY_MANAGER = "removed by a focal contact"


def left_on_their_own(subscription_ids: list[int]) -> set[int]:
    """Of these unsubscribed subscriptions, those a focal contact did not remove: their
    owner left (a link, one-click, their profile) or left the coalition. Only the owner
    may put such an address back on the list."""
    found: set[int] = set()
    for start in range(0, len(subscription_ids), 500):
        found.update(db.session.scalars(select(Subscription.id).where(
            Subscription.id.in_(subscription_ids[start:start + 500]),
            Subscription.status == SubscriptionStatus.UNSUBSCRIBED,
            Subscription.ended_by != SubscriptionEnd.MANAGER)))
    return found


def approve_subscription(actor: Actor, subscription: Subscription,
                         now: datetime | None = None) -> None:
    require_manager(actor)
    if not subscription.awaits_approval:
        raise ValidationError(None, "This subscription is not waiting for approval.")
    before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
    activate(subscription, now or utcnow())
    _change(actor, subscription, "approve", before)
    notifications.subscription_approved(subscription)


def add_subscriber(actor: Actor, mailing_list: MailingList, email: str, name: str = "",
                   source: str = SubscriptionSource.ADMIN.value,
                   member: Member | None = None, now: datetime | None = None
                   ) -> Subscription:
    """A focal contact subscribes an address directly (no confirmation: they vouch for it).
    An address that left on its own is not re-added silently: that needs its owner."""
    require_manager(actor)
    _require_open(mailing_list)
    now = now or utcnow()
    email = normalize_email(email)
    name = field_line(name, "name", 200, False)
    subscription = _find(mailing_list, email)
    if subscription is not None and subscription.is_active:
        raise ValidationError("email", f"{email} is already subscribed.")
    if subscription is not None and subscription.status == SubscriptionStatus.UNSUBSCRIBED \
            and left_on_their_own([subscription.id]):
        raise ValidationError("email", f"{email} unsubscribed from this list: only its owner "
                                       "can subscribe again.")
    if subscription is None:
        subscription = Subscription(mailing_list=mailing_list, email=email, name=name,
                                    source=source, member=member)
        db.session.add(subscription)
        db.session.flush()
        before: dict = {}
    else:
        before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
        subscription.source = source
        subscription.name = name or subscription.name
        if member is not None:
            subscription.member = member
    activate(subscription, now)
    _change(actor, subscription, "subscribe", before)
    return subscription


def set_delivery(actor: Actor, subscription: Subscription, enabled: bool) -> None:
    """Pause or resume delivery (holidays); the subscription itself stays."""
    if not can_manage(actor) and own_subscription(actor, subscription.mailing_list) \
            is not subscription:
        raise PermissionDenied("You can only change your own subscriptions.")
    if subscription.delivery_enabled == enabled:
        return
    before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
    subscription.delivery_enabled = enabled
    _change(actor, subscription, "delivery", before)


def set_moderated(actor: Actor, subscription: Subscription, on: bool) -> None:
    """Put a subscriber on moderation (their posts are held for a moderator) or take them
    off it. The list's moderators may, as well as the focal contacts."""
    if not can_moderate(actor, subscription.mailing_list):
        raise PermissionDenied("Only the list's moderators and the focal contacts can put a "
                               "subscriber on moderation.")
    if subscription.moderated == on:
        return
    subscription.moderated = on
    audit.record(actor, "moderate" if on else "unmoderate", subscription,
                 {"moderated": [not on, on]})


def reenable(actor: Actor, subscription: Subscription, now: datetime | None = None) -> None:
    """A focal contact turns a subscription disabled by bounces back on."""
    require_manager(actor)
    if subscription.status != SubscriptionStatus.DISABLED:
        raise ValidationError(None, "Only a subscription disabled by bounces can be re-enabled.")
    before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
    activate(subscription, now or utcnow())
    _change(actor, subscription, "reenable", before)


# --- a member's own subscriptions -------------------------------------------------------

def can_self_subscribe(actor: Actor | None, mailing_list: MailingList) -> bool:
    return (member_of(actor) is not None and not mailing_list.is_archived
            and mailing_list.subscription_policy != SubscriptionPolicy.CLOSED)


def subscribe_self(actor: Actor, mailing_list: MailingList,
                   now: datetime | None = None) -> Subscription:
    """A signed-in member joins a list from their profile. Their address is known (they
    signed in with it), so no confirmation e-mail; a moderated list still asks a focal
    contact."""
    now = now or utcnow()
    member = member_of(actor)
    if member is None or not can_self_subscribe(actor, mailing_list):
        raise PermissionDenied("You cannot subscribe yourself to this list.")
    assert isinstance(actor, User)
    subscription = own_subscription(actor, mailing_list)
    if subscription is not None and (subscription.is_active or subscription.awaits_approval):
        return subscription
    if subscription is None:
        subscription = Subscription(mailing_list=mailing_list, email=actor.email.lower(),
                                    name=member.name, member=member)
        db.session.add(subscription)
        db.session.flush()
        before: dict = {}
    else:
        before = audit.snapshot(subscription, SUBSCRIPTION_AUDITED)
        subscription.member = member
    subscription.source = SubscriptionSource.PROFILE.value
    subscription.confirmed_at = now
    if mailing_list.subscription_policy == SubscriptionPolicy.CONFIRM_THEN_MODERATE:
        subscription.status = SubscriptionStatus.PENDING.value
    else:
        activate(subscription, now)
    _change(actor, subscription, "subscribe", before)
    return subscription

