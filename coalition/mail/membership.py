"""Members reach the lists that say so: subscribed when they become active, unsubscribed
when they leave, their address followed when it changes, and erased with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update

from coalition.audit import services as audit
from coalition.audit.models import AuditEvent
from coalition.auth.models import Actor, User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import (
    Delivery,
    MailingList,
    Subscription,
    SubscriptionEnd,
    SubscriptionSource,
    SubscriptionStatus,
    new_subscription_token,
)
from coalition.members.models import Member, MemberStatus

# As the members service writes it in the trail of an erased member.
ERASED = "(erased)"
PERSONAL = {"email", "name"}


def _auto_lists(archived_too: bool = False) -> list[MailingList]:
    query = select(MailingList).where(MailingList.subscribe_members.is_(True))
    if not archived_too:
        query = query.where(MailingList.is_archived.is_(False))
    return list(db.session.scalars(query))


def _subscriptions(member: Member) -> list[Subscription]:
    return list(db.session.scalars(select(Subscription).where(
        Subscription.member_id == member.id)))


def activate(subscription: Subscription, now: datetime) -> None:
    """Make a subscription active with a clean slate: no end, no bounce history. The one
    rule for every way in (confirming, approving, adding, a member joining)."""
    subscription.status = SubscriptionStatus.ACTIVE.value
    subscription.subscribed_at = now
    subscription.unsubscribed_at = subscription.disabled_at = None
    subscription.ended_by = None
    subscription.bounce_score = 0.0
    subscription.last_bounce_at = None


def status_changed(actor: Actor, member: Member, old_status: str | None,
                   now: datetime | None = None) -> None:
    """Called by the members service after a member's status changed (or on creation)."""
    now = now or utcnow()
    if member.status == MemberStatus.ACTIVE and old_status != MemberStatus.ACTIVE:
        _join_lists(actor, member, now)
    elif member.status == MemberStatus.LEFT and old_status != MemberStatus.LEFT:
        _leave_lists(actor, member, now)


def _join_lists(actor: Actor, member: Member, now: datetime) -> None:
    """Subscribe the member to every list that says so. An address that unsubscribed
    (or bounced) stays off; only what their own leaving ended is put back when a member
    comes back."""
    if not member.email:
        return
    for mailing_list in _auto_lists():
        subscription = db.session.scalar(select(Subscription).where(
            Subscription.list_id == mailing_list.id, Subscription.email == member.email))
        stays = subscription is not None and (
            subscription.is_active or subscription.status == SubscriptionStatus.DISABLED
            or (subscription.status == SubscriptionStatus.UNSUBSCRIBED
                and subscription.ended_by != SubscriptionEnd.MEMBERSHIP))
        if stays:
            subscription.member = member
            continue
        if subscription is None:
            subscription = Subscription(mailing_list=mailing_list, email=member.email,
                                        name=member.name)
            db.session.add(subscription)
        subscription.member = member
        subscription.source = SubscriptionSource.MEMBERSHIP.value
        activate(subscription, now)
        audit.record(actor, "subscribe", subscription,
                     summary=f"member {member.id} became active")


def _leave_lists(actor: Actor, member: Member, now: datetime) -> None:
    # Archived lists too: one restored later must not write to members who left.
    automatic = {mailing_list.id for mailing_list in _auto_lists(archived_too=True)}
    for subscription in _subscriptions(member):
        if subscription.list_id in automatic and subscription.status in (
                SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING,
                SubscriptionStatus.DISABLED):
            subscription.status = SubscriptionStatus.UNSUBSCRIBED.value
            subscription.unsubscribed_at = now
            subscription.ended_by = SubscriptionEnd.MEMBERSHIP.value
            audit.record(actor, "unsubscribe", subscription,
                         summary=f"member {member.id} left")


def email_changed(actor: Actor, member: Member, old_email: str | None) -> None:
    """The member's subscriptions follow their new address (unless the list already has
    a subscription for it, which then wins)."""
    if not member.email or member.email == old_email:
        return
    for subscription in _subscriptions(member):
        taken = db.session.scalar(select(Subscription.id).where(
            Subscription.list_id == subscription.list_id,
            Subscription.email == member.email))
        if taken is None:
            audit.record(actor, "update", subscription,
                         {"email": [subscription.email, member.email]})
            subscription.email = member.email


def subscribe_active_members(actor: Actor, mailing_list: MailingList,
                             now: datetime | None = None) -> int:
    """Subscribe every active member whose address is not on the list yet (when the list
    starts to say so, or after a bulk import). Addresses that left on their own stay off."""
    now = now or utcnow()
    on_list = set(db.session.scalars(select(Subscription.email).where(
        Subscription.list_id == mailing_list.id)))
    members = db.session.execute(select(Member.id, Member.email, Member.name).where(
        Member.status == MemberStatus.ACTIVE, Member.email.is_not(None)))
    rows = [{"list_id": mailing_list.id, "email": email, "name": name, "member_id": member_id,
             "status": SubscriptionStatus.ACTIVE.value,
             "source": SubscriptionSource.MEMBERSHIP.value, "delivery_enabled": True,
             "token": new_subscription_token(), "bounce_score": 0.0, "created_at": now,
             "subscribed_at": now}
            for member_id, email, name in members if email not in on_list]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Subscription), rows[start:start + 1000])
    if rows:
        audit.record(actor, "subscribe_members", mailing_list,
                     summary=f"{len(rows)} active member(s) subscribed")
    return len(rows)


def after_import(actor: Actor) -> None:
    """A bulk import wrote members directly: bring the lists up to date with them."""
    for mailing_list in _auto_lists():
        subscribe_active_members(actor, mailing_list)
    moved = db.session.scalars(select(Subscription).join(
        Member, Subscription.member_id == Member.id).where(
        Member.email.is_not(None), Subscription.email != Member.email)).all()
    for subscription in moved:
        email_changed(actor, subscription.member, subscription.email)


def erased(actor: Actor, member: Member, now: datetime | None = None) -> None:
    """Erasure leaves no address behind on any list, nor in the outbox's copies; the rows
    stay for the counts. Called before the member's own fields are blanked."""
    now = now or utcnow()
    # The member's rows, and rows under their addresses that were never linked to them
    # (subscribed by the public form, or by a focal contact, before or beside the record).
    addresses = {member.email} | set(db.session.scalars(
        select(User.email).where(User.member_id == member.id)))
    addresses.discard(None)
    found = select(Subscription).where(or_(Subscription.member_id == member.id,
                                           Subscription.email.in_(addresses)))
    subscriptions = list(db.session.scalars(found))
    for subscription in subscriptions:
        subscription.email = f"erased-{subscription.id}@erased.invalid"
        subscription.name = ""
        if subscription.status != SubscriptionStatus.UNSUBSCRIBED:
            subscription.status = SubscriptionStatus.UNSUBSCRIBED.value
            subscription.unsubscribed_at = now
        subscription.ended_by = SubscriptionEnd.ERASURE.value
        _redact_trail(subscription)
        audit.record(actor, "erase", subscription, summary="member's personal data erased")
        # Copies still due are skipped by the worker: the subscription is no longer active.
        db.session.execute(update(Delivery).where(Delivery.subscription_id == subscription.id)
                           .values(email=subscription.email, name=""))


def _redact_trail(subscription: Subscription) -> None:
    """The subscription's audit trail keeps who did what and when, not the address."""
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == Subscription.__tablename__,
        AuditEvent.entity_id == str(subscription.id)))
    for event in events:
        if event.changes and PERSONAL & event.changes.keys():
            event.changes = {field: [ERASED, ERASED] if field in PERSONAL else values
                             for field, values in event.changes.items()}
