"""Writing to a list on the web: drafts, a test copy to oneself, and sending to everyone.

Sending writes one outbox row per recipient in the same transaction as the post's change,
so a committed post has all its recipients; the worker (delivery.py) does the SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import func, insert, literal, select

from coalition.audit import services as audit
from coalition.auth.models import Actor, User
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import threads
from coalition.mail.messages import one_line
from coalition.mail.models import (
    Delivery,
    DeliveryStatus,
    MailingList,
    Post,
    PostFormat,
    PostStatus,
    SenderAction,
    SenderRule,
    Subscription,
    SubscriptionStatus,
)
from coalition.mail.services import can_manage, can_post, own_subscription

MAX_SUBJECT = 300
MAX_BODY = 200_000  # characters; a list post, not an attachment store
POST_AUDITED = ("subject", "body", "body_format", "status")
# Test copies one person may ask for in an hour (a guard against a stuck button).
TEST_COPIES_PER_HOUR = 20


@dataclass
class PostInput:
    subject: str = ""
    body: str = ""
    body_format: str = PostFormat.TEXT.value


def _check(data: PostInput) -> tuple[str, str, str]:
    subject = one_line(data.subject or "")
    if not subject:
        raise ValidationError("subject", "Enter a subject.")
    if len(subject) > MAX_SUBJECT:
        raise ValidationError("subject", f"Keep the subject under {MAX_SUBJECT} characters.")
    body = (data.body or "").replace("\r\n", "\n").strip("\n")
    if not body.strip():
        raise ValidationError("body", "Write the message.")
    if len(body) > MAX_BODY:
        raise ValidationError("body", f"Keep the message under {MAX_BODY:,} characters.")
    if data.body_format not in {f.value for f in PostFormat}:
        raise ValidationError("body_format", "Choose plain text or Markdown.")
    return subject, body, data.body_format


def can_edit(actor: Actor | None, post: Post) -> bool:
    """A draft is its author's (and any focal contact's) until it is sent."""
    if post.status != PostStatus.DRAFT or not can_post(actor, post.mailing_list):
        return False
    return can_manage(actor) or (isinstance(actor, User) and post.author_id == actor.id)


def can_see(actor: Actor | None, post: Post) -> bool:
    """The post's page with its delivery progress: its author and the focal contacts."""
    return can_manage(actor) or (isinstance(actor, User) and post.author_id == actor.id)


def _require_edit(actor: Actor | None, post: Post) -> None:
    if not can_edit(actor, post):
        if post.status != PostStatus.DRAFT:
            raise ValidationError(None, "This message has already been sent.")
        raise PermissionDenied("You cannot change this message.")


def compose(actor: Actor, mailing_list: MailingList, data: PostInput) -> Post:
    """A new draft; nothing is sent yet."""
    if not can_post(actor, mailing_list):
        raise PermissionDenied("You cannot write to this list.")
    assert isinstance(actor, User) or can_manage(actor)
    subject, body, body_format = _check(data)
    name = getattr(actor, "name", None) or current_app.config["NAME"]
    email = getattr(actor, "email", None) or current_app.config["MAIL_FROM"]
    post = Post(mailing_list=mailing_list, author_id=getattr(actor, "id", None),
                sender_name=name, sender_email=email, subject=subject, body=body,
                body_format=body_format, status=PostStatus.DRAFT.value,
                message_id=make_msgid(domain=current_app.config["MAIL_DOMAIN"]))
    db.session.add(post)
    audit.record(actor, "create", post, audit.diff({}, audit.snapshot(post, POST_AUDITED)))
    return post


def update_draft(actor: Actor, post: Post, data: PostInput) -> None:
    _require_edit(actor, post)
    before = audit.snapshot(post, POST_AUDITED)
    post.subject, post.body, post.body_format = _check(data)
    changes = audit.diff(before, audit.snapshot(post, POST_AUDITED))
    if changes:
        audit.record(actor, "update", post, changes)


def _deadline(now: datetime) -> datetime:
    return now + timedelta(hours=current_app.config["MAIL_RETRY_HOURS"])


def send_test(actor: Actor, post: Post, now: datetime | None = None) -> Delivery:
    """One copy to the person at the keyboard, through the same outbox as the real ones."""
    _require_edit(actor, post)
    if not isinstance(actor, User):
        raise PermissionDenied("A test copy goes to a signed-in person.")
    now = now or utcnow()
    recent = db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.is_test.is_(True), Delivery.email == actor.email,
        Delivery.created_at > now - timedelta(hours=1)))
    if recent >= TEST_COPIES_PER_HOUR:
        raise ValidationError(None, f"You have asked for {recent} test copies in the last "
                                    "hour; wait a little before asking for more.")
    delivery = Delivery(post=post, email=actor.email, name=actor.name, is_test=True,
                        status=DeliveryStatus.QUEUED.value, next_attempt_at=now,
                        deadline_at=_deadline(now), created_at=now)
    db.session.add(delivery)
    audit.record(actor, "test", post, summary=f"test copy to {actor.email}")
    return delivery


def recipients_query(mailing_list: MailingList):
    return select(Subscription).where(
        Subscription.list_id == mailing_list.id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.delivery_enabled.is_(True))


def recipient_count(mailing_list: MailingList) -> int:
    return db.session.scalar(select(func.count()).select_from(
        recipients_query(mailing_list).subquery()))


def send(actor: Actor, post: Post, now: datetime | None = None) -> int:
    """Queue a draft for every active subscriber whose delivery is on. Returns how many,
    or 0 when the sender's standing on the list holds the post for a moderator instead
    (its status is then "held"). Raises ValidationError, nothing sent, when a moderator
    refuses the sender's messages."""
    _require_edit(actor, post)
    now = now or utcnow()
    action, reason = web_decision(actor, post.mailing_list)
    refuse_blocked(action)
    if action != "hold" and recipient_count(post.mailing_list) == 0:
        raise ValidationError(None, "Nobody would receive this message: the list has no "
                                    "subscribers whose delivery is on.")
    return go_out(actor, post, action, reason, now) or 0


def go_out(actor: Actor, post: Post, action: str, reason: str, now: datetime) -> int | None:
    """The end of sending from the web (a draft, an archive reply), once the sender's
    standing decided `action`: held for a moderator (None), or queued for the
    subscribers (how many)."""
    if action == "hold":
        # moderation approves through this module, so it is imported where it is used.
        from coalition.mail import moderation

        moderation.hold(post, reason, now)
        return None
    before = audit.snapshot(post, POST_AUDITED)
    count = queue_copies(post, now)
    audit.record(actor, "send", post, audit.diff(before, audit.snapshot(post, POST_AUDITED)),
                 summary=f"queued for {count} recipient(s)")
    return count


def queue_copies(post: Post, now: datetime) -> int:
    """Mark the post sent (it enters the archive) and write one outbox row per active
    subscriber whose delivery is on, in the caller's transaction. Whoever calls this has
    checked that the post may go out (a draft sent from the web, a post received by
    e-mail that passed the list's rules, a held post a moderator approved)."""
    mailing_list = post.mailing_list
    count = recipient_count(mailing_list)
    post.status = PostStatus.QUEUED.value
    post.queued_at = now
    post.recipient_count = count
    db.session.flush()
    if post.thread_id is None:
        threads.link(post)
        threads.adopt_replies(post)
    columns = ("post_id", "subscription_id", "email", "name", "is_test", "status", "attempts",
               "next_attempt_at", "deadline_at", "created_at")
    rows = select(literal(post.id), Subscription.id, Subscription.email, Subscription.name,
                  literal(False), literal(DeliveryStatus.QUEUED.value), literal(0),
                  literal(now, Delivery.next_attempt_at.type),
                  literal(_deadline(now), Delivery.deadline_at.type),
                  literal(now, Delivery.created_at.type)) \
        .where(Subscription.id.in_(recipients_query(mailing_list)
                                   .with_only_columns(Subscription.id)))
    if count:
        db.session.execute(insert(Delivery).from_select(columns, rows))
    return count


# --- whose posts go out at once -------------------------------------------------------------
#
# One decision about a sender, whichever way they write: the posting rules for e-mail
# (rules._decide), the composer and the archive's replies on the web. Without it, a
# moderated subscriber, or one a moderator blocked, would reach everyone by writing on
# the web instead of by e-mail.

BLOCKED = "A moderator decided that this sender's messages are not accepted."
REFUSED_ON_WEB = ("A moderator of this list decided not to accept your messages to it: "
                  "nothing was sent.")
# The strictest rule wins when a person's addresses have several (login and subscription).
_STRICTNESS = {SenderAction.REJECT.value: 0, SenderAction.DISCARD.value: 0,
               SenderAction.HOLD.value: 1, SenderAction.ACCEPT.value: 2}


def sender_rule(mailing_list: MailingList, addresses: list[str | None]) -> SenderRule | None:
    """The moderators' standing rule about the sender's posts to the list, if any."""
    wanted = sorted({found.lower() for found in addresses if found})
    if not wanted:
        return None
    rules = db.session.scalars(select(SenderRule).where(
        SenderRule.list_id == mailing_list.id, SenderRule.email.in_(wanted)))
    return min(rules, key=lambda rule: _STRICTNESS.get(rule.action, 0), default=None)


def standing(rule: SenderRule | None, focal: bool, subscription: Subscription | None,
             allowed: str | None) -> tuple[str, str] | None:
    """(action, reason) for a sender, in Mailman's order: a moderator's rule, a focal
    contact, a subscription on moderation (whatever its status: leaving the list does not
    lift it), then the posting policy (`allowed` says why it lets them post). None when
    only the policy says no: e-mail then applies the list's non-member action."""
    if rule is not None:
        if rule.action in (SenderAction.REJECT, SenderAction.DISCARD):
            return rule.action, BLOCKED
        if rule.action == SenderAction.ACCEPT:
            return "accept", "A moderator always accepts this sender."
        return "hold", "A moderator asked to see this sender's messages first."
    if focal:
        return "accept", "A focal contact."
    if subscription is not None and subscription.moderated:
        return "hold", "The sender's subscription is on moderation."
    if allowed:
        return "accept", allowed
    return None


def web_decision(actor: Actor, mailing_list: MailingList) -> tuple[str, str]:
    """accept, hold, reject or discard for a post written on the web by `actor`. Focal
    contacts are the moderators: their posts are never held. Whoever the list's policy
    does not let post directly (an archive reply) waits for a moderator."""
    if can_manage(actor):
        return "accept", "A focal contact."
    subscription = own_subscription(actor, mailing_list)
    rule = sender_rule(mailing_list, [getattr(actor, "email", None),
                                      subscription.email if subscription else None])
    allowed = "The list lets them post." if can_post(actor, mailing_list) else None
    return standing(rule, False, subscription, allowed) or (
        "hold", "A reply from the archive by someone who may not post to the list "
                  "directly.")


def refuse_blocked(action: str) -> None:
    """On the web a blocked sender is told, and nothing is kept or sent."""
    if action in (SenderAction.REJECT, SenderAction.DISCARD):
        raise ValidationError(None, REFUSED_ON_WEB)


@dataclass(frozen=True)
class Progress:
    queued: int
    sent: int
    retry: int
    failed: int

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.retry + self.failed

    @property
    def done(self) -> bool:
        return self.queued == 0 and self.retry == 0

    def as_dict(self) -> dict:
        return {"queued": self.queued, "sent": self.sent, "retry": self.retry,
                "failed": self.failed, "total": self.total, "done": self.done}


def progress(post: Post) -> Progress:
    """How far the post's copies have got (test copies not counted)."""
    counts = dict(db.session.execute(
        select(Delivery.status, func.count()).where(
            Delivery.post_id == post.id, Delivery.is_test.is_(False))
        .group_by(Delivery.status)).all())
    return Progress(*(counts.get(status.value, 0) for status in
                      (DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.RETRY,
                       DeliveryStatus.FAILED)))


def progress_by_post(post_ids: list[int]) -> dict[int, Progress]:
    """progress() for many posts in one query (a list's page of posts)."""
    counts: dict[int, dict[str, int]] = {post_id: {} for post_id in post_ids}
    if post_ids:
        for post_id, status, count in db.session.execute(
                select(Delivery.post_id, Delivery.status, func.count()).where(
                    Delivery.post_id.in_(post_ids), Delivery.is_test.is_(False))
                .group_by(Delivery.post_id, Delivery.status)):
            counts[post_id][status] = count
    return {post_id: Progress(*(found.get(status.value, 0) for status in
                                (DeliveryStatus.QUEUED, DeliveryStatus.SENT,
                                 DeliveryStatus.RETRY, DeliveryStatus.FAILED)))
            for post_id, found in counts.items()}
