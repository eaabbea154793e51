"""Mailing lists, their subscriptions, the posts sent to them and the per-recipient outbox."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, validates

from coalition.auth.models import User
from coalition.db import UTCDateTime, one_of, utcnow
from coalition.extensions import db
from coalition.members.models import Member


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[self.value]


class ListKind(_Labelled):
    ANNOUNCE = "announce"
    DISCUSSION = "discussion"


class SubscriptionPolicy(_Labelled):
    OPEN = "open"
    CONFIRM_THEN_MODERATE = "confirm_then_moderate"
    MEMBERS_ONLY = "members_only"
    CLOSED = "closed"


class PostingPolicy(_Labelled):
    """Who may post directly (focal contacts always may)."""

    FOCAL_CONTACTS = "focal_contacts"
    MEMBERS = "members"
    SUBSCRIBERS = "subscribers"


class ReplyTo(_Labelled):
    SENDER = "sender"
    LIST = "list"
    ADDRESS = "address"


class ArchiveVisibility(_Labelled):
    PUBLIC = "public"
    MEMBERS = "members"
    NONE = "none"


class SubscriptionStatus(_Labelled):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    DISABLED = "disabled"


class SubscriptionSource(_Labelled):
    WEB = "web"
    ADMIN = "admin"
    IMPORT = "import"
    MEMBERSHIP = "membership"
    PROFILE = "profile"
    EMAIL = "email"
    DEMO = "demo"


class SubscriptionEnd(enum.StrEnum):
    """Who ended an unsubscribed subscription: it decides who may start it again."""

    SELF = "self"  # its owner (a link, one-click, their profile): only they may come back
    MANAGER = "manager"  # a focal contact removed it, and may add it again
    MEMBERSHIP = "membership"  # the member left the coalition; coming back restores it
    ERASURE = "erasure"

    @property
    def label(self) -> str:
        return {"self": "Unsubscribed themselves", "manager": "Removed by a focal contact",
                "membership": "Left the coalition", "erasure": "Personal data erased"}[self]


class PostStatus(_Labelled):
    DRAFT = "draft"
    QUEUED = "queued"
    HELD = "held"
    REJECTED = "rejected"
    DISCARDED = "discarded"


class PostFormat(_Labelled):
    TEXT = "text"
    MARKDOWN = "markdown"


class PostSource(_Labelled):
    WEB = "web"
    EMAIL = "email"


class NonMemberAction(_Labelled):
    """What happens to a post from someone who may not post directly."""

    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


class SenderAction(_Labelled):
    """A moderator's standing decision about one sender's posts to one list."""

    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


class AttachmentPolicy(_Labelled):
    KEEP = "keep"
    STRIP = "strip"
    HOLD = "hold"


class InboundKind(_Labelled):
    """Which of a list's addresses a message came to."""

    POST = "post"  # <list>@
    REQUEST = "request"  # <list>-request@ (commands)
    BOUNCE = "bounce"  # <list>-bounces@ and <list>-bounces+<token>@
    OWNER = "owner"  # <list>-owner@


class InboundStatus(_Labelled):
    RECEIVED = "received"  # stored; not handled yet (or handling failed and will be retried)
    HANDLED = "handled"
    FAILED = "failed"  # handling raised: kept, shown to focal contacts, can be retried


class DeliveryStatus(_Labelled):
    QUEUED = "queued"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


_LABELS = {
    "announce": "Announcements (one-way)", "discussion": "Discussion",
    "open": "Open: anyone, after confirming their address",
    "confirm_then_moderate": "Confirm, then a focal contact approves",
    "members_only": "Members only", "closed": "Closed: focal contacts add subscribers",
    "focal_contacts": "Focal contacts only", "members": "Members",
    "subscribers": "Subscribers",
    "sender": "Replies go to the sender", "list": "Replies go to the list",
    "address": "Replies go to a fixed address",
    "public": "Public", "none": "Not archived",
    "pending": "Pending", "active": "Active", "unsubscribed": "Unsubscribed",
    "disabled": "Disabled (bounces)",
    "web": "Subscribe form", "admin": "Added by a focal contact", "import": "CSV import",
    "membership": "Membership", "profile": "Own profile", "email": "E-mail command",
    "demo": "Demo data",
    "draft": "Draft", "queued": "Queued", "held": "Held for moderation",
    "rejected": "Rejected", "discarded": "Discarded",
    "text": "Plain text", "markdown": "Markdown",
    "sent": "Sent", "retry": "Retrying", "failed": "Failed",
    "hold": "Hold for moderation", "reject": "Reject (the sender is told)",
    "discard": "Discard silently", "accept": "Accept",
    "keep": "Keep attachments", "strip": "Remove attachments",
    "post": "Post", "request": "Command", "bounce": "Bounce", "owner": "To the owners",
    "received": "Received", "handled": "Handled",
}


def new_subscription_token() -> str:
    """The secret in a subscriber's unsubscribe link (and, later, their VERP bounce address)."""
    return secrets.token_urlsafe(18)


class MailingList(db.Model):
    """A list: its address is `name@COALITION_MAIL_DOMAIN`. Archived, never deleted."""

    __tablename__ = "mailing_lists"
    __table_args__ = (
        one_of("kind", ListKind),
        one_of("subscription_policy", SubscriptionPolicy),
        one_of("posting_policy", PostingPolicy),
        one_of("reply_to", ReplyTo),
        one_of("archive_visibility", ArchiveVisibility),
        one_of("nonmember_action", NonMemberAction),
        one_of("attachment_policy", AttachmentPolicy),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=ListKind.ANNOUNCE.value)
    subscription_policy: Mapped[str] = mapped_column(
        String(32), default=SubscriptionPolicy.OPEN.value)
    posting_policy: Mapped[str] = mapped_column(
        String(32), default=PostingPolicy.FOCAL_CONTACTS.value)
    subscribe_members: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_to: Mapped[str] = mapped_column(String(16), default=ReplyTo.SENDER.value)
    reply_to_address: Mapped[str | None] = mapped_column(String(254))
    archive_visibility: Mapped[str] = mapped_column(
        String(16), default=ArchiveVisibility.PUBLIC.value)
    subject_prefix: Mapped[str] = mapped_column(String(64), default="")
    footer: Mapped[str] = mapped_column(Text, default="")
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Posting by e-mail (part 2): what happens to the posts of people who may not post
    # directly, the largest message accepted, attachments, and how long a held post waits.
    nonmember_action: Mapped[str] = mapped_column(
        String(16), default=NonMemberAction.HOLD.value, server_default="hold")
    max_message_kb: Mapped[int] = mapped_column(Integer, default=1024, server_default="1024")
    attachment_policy: Mapped[str] = mapped_column(
        String(16), default=AttachmentPolicy.KEEP.value, server_default="keep")
    hold_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<MailingList {self.name}>"

    @property
    def kind_label(self) -> str:
        return ListKind(self.kind).label

    @property
    def is_announce(self) -> bool:
        return self.kind == ListKind.ANNOUNCE

    @property
    def public_subscribe(self) -> bool:
        """Whether anyone may ask to join by the public form."""
        return self.subscription_policy in (SubscriptionPolicy.OPEN,
                                            SubscriptionPolicy.CONFIRM_THEN_MODERATE)


class Subscription(db.Model):
    """One address on one list, perhaps a member's. Unsubscribing keeps the row."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("list_id", "email"),
        one_of("status", SubscriptionStatus),
        one_of("source", SubscriptionSource),
        one_of("ended_by", SubscriptionEnd, nullable=True),
        # The outbox's question when a post goes out: who on this list gets it.
        Index("ix_subscriptions_list_status", "list_id", "status", "delivery_enabled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.PENDING.value)
    source: Mapped[str] = mapped_column(String(16), default=SubscriptionSource.WEB.value)
    delivery_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # On moderation: this subscriber's posts are held even where subscribers post directly.
    moderated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_subscription_token)
    bounce_score: Mapped[float] = mapped_column(Float, default=0.0)
    last_bounce_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the confirmation e-mail last went out: a repeated request within the hour sends
    # nothing more.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(16))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mailing_list: Mapped[MailingList] = relationship()
    member: Mapped[Member | None] = relationship()

    def __repr__(self) -> str:
        return f"<Subscription {self.email} on {self.list_id}: {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == SubscriptionStatus.ACTIVE

    @property
    def status_label(self) -> str:
        return SubscriptionStatus(self.status).label

    @property
    def awaits_approval(self) -> bool:
        """Confirmed by its owner, waiting for a focal contact (confirm_then_moderate)."""
        return self.status == SubscriptionStatus.PENDING and self.confirmed_at is not None


class Post(db.Model):
    """A message to a list, composed on the web or received by e-mail.

    Sent posts (status queued) are the archive. A post received by e-mail keeps its
    message as it came in (`inbound`); `body` is its text, for reading and searching."""

    __tablename__ = "posts"
    __table_args__ = (
        one_of("status", PostStatus),
        one_of("body_format", PostFormat),
        one_of("source", PostSource),
        Index("ix_posts_list_created", "list_id", "created_at"),
        # The archive: a list's sent posts by date, and a thread's posts.
        Index("ix_posts_list_status_queued", "list_id", "status", "queued_at"),
        Index("ix_posts_thread", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    body_format: Mapped[str] = mapped_column(String(16), default=PostFormat.TEXT.value)
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.DRAFT.value)
    # The same Message-ID on every copy: replies thread, archives deduplicate.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    references: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default=PostSource.WEB.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    # Threads: the post this one answers (found by In-Reply-To / References on the same
    # list) and the first post of its thread (itself when it starts one).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # Received by e-mail: the stored message.
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # Moderation: why it was held, until when, and what a moderator decided.
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation_note: Mapped[str | None] = mapped_column(Text)

    mailing_list: Mapped[MailingList] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    inbound: Mapped[InboundMessage | None] = relationship(foreign_keys=[inbound_id])
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.position", back_populates="post")

    @property
    def is_email(self) -> bool:
        return self.source == PostSource.EMAIL

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.subject!r}>"


class Delivery(db.Model):
    """The durable outbox: one row per recipient of a post, written before any SMTP.

    A worker claims a row by stamping `claimed_by` and `claimed_until` (a lease); a worker
    that dies leaves the lease to run out, and the row is claimed again.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        one_of("status", DeliveryStatus),
        # The workers' question: what is due now, oldest first.
        # Only the rows still to send, in the order they are claimed: the claim reads the
        # first few entries whatever the number of copies already sent.
        Index("ix_deliveries_due", "next_attempt_at", "id",
              sqlite_where=text("status IN ('queued', 'retry')"),
              postgresql_where=text("status IN ('queued', 'retry')")),
        Index("ix_deliveries_post_status", "post_id", "status"),
        # The per-hour rate limit counts what went out in the last hour.
        Index("ix_deliveries_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"),
                                                        index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    # A test copy to the author: no subscription, no unsubscribe link that works.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reply: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    subscription: Mapped[Subscription | None] = relationship()


class BounceEvent(db.Model):
    """A delivery that failed for good (a 5xx reply; later also a DSN)."""

    __tablename__ = "bounce_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "smtp" (the relay refused) or "dsn" (a delivery status notification came back).
    source: Mapped[str] = mapped_column(String(16))
    is_hard: Mapped[bool] = mapped_column(Boolean, default=True)
    reply: Mapped[str] = mapped_column(String(500), default="")
    # The delivery status notification it came from (source "dsn").
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # Whether it counted towards the score (at most one bounce a day counts).
    counted: Mapped[bool] = mapped_column(Boolean, default=True)

    subscription: Mapped[Subscription] = relationship()


class InboundMessage(db.Model):
    """A message the LMTP server accepted, stored before it answered "250": whatever
    handling it then needs (a post, a command, a bounce, a note to the owners), the
    message itself is never lost."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        one_of("kind", InboundKind),
        one_of("status", InboundStatus),
        Index("ix_inbound_status", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mail_from: Mapped[str] = mapped_column(String(500), default="")
    rcpt_to: Mapped[str] = mapped_column(String(500))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("mailing_lists.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The Message-ID header as received (truncated), for finding it again.
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.RECEIVED.value)
    # What came of it, in a sentence ("posted to 12 subscribers", "held: not a member",
    # "dropped: an auto-reply", or the error).
    outcome: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mailing_list: Mapped[MailingList | None] = relationship()


class Attachment(db.Model):
    """A file that came with a post received by e-mail (kept in the database: a list's
    messages are limited in size by the list)."""

    __tablename__ = "post_attachments"
    __table_args__ = (UniqueConstraint("post_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    # As the sender declared it; the archive serves every file as a download.
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    post: Mapped[Post] = relationship(back_populates="attachments")


class ListModerator(db.Model):
    """A login who moderates one list (focal contacts moderate every list)."""

    __tablename__ = "list_moderators"
    __table_args__ = (UniqueConstraint("list_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mailing_list: Mapped[MailingList] = relationship()
    user: Mapped[User] = relationship()


class SenderRule(db.Model):
    """A standing decision about one address's posts to one list ("always accept")."""

    __tablename__ = "list_sender_rules"
    __table_args__ = (
        UniqueConstraint("list_id", "email"),
        one_of("action", SenderAction),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id"))
    email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mailing_list: Mapped[MailingList] = relationship()

    @validates("email")
    def _lower_case(self, key: str, value: str) -> str:
        # Compared with senders' lower-cased addresses by plain equality (the index).
        return value.strip().lower()
