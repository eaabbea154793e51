"""Reading lists and subscriptions for the pages: who sees which list, counts, archives."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from coalition.auth.models import Actor
from coalition.extensions import db
from coalition.mail import services, subscriptions
from coalition.mail.models import (
    ArchiveVisibility,
    Delivery,
    DeliveryStatus,
    MailingList,
    Post,
    PostStatus,
    Subscription,
    SubscriptionStatus,
)
from coalition.pagination import Page, paginate


def address(mailing_list: MailingList) -> str:
    return f"{mailing_list.name}@{current_app.config['MAIL_DOMAIN']}"


def visible_lists(actor: Actor | None) -> list[MailingList]:
    """Every list not archived (archived ones too for focal contacts), by display name."""
    query = select(MailingList).order_by(MailingList.is_archived, MailingList.display_name)
    if not services.can_manage(actor):
        query = query.where(MailingList.is_archived.is_(False))
    return list(db.session.scalars(query))


def active_count(mailing_list: MailingList) -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.list_id == mailing_list.id,
        Subscription.status == SubscriptionStatus.ACTIVE))


@dataclass(frozen=True)
class OwnListRow:
    mailing_list: MailingList
    subscription: Subscription | None
    can_join: bool


def own_list_rows(actor: Actor | None) -> list[OwnListRow]:
    """Every list a signed-in person could be on, with their subscription if any."""
    mine = services.own_subscriptions(actor)
    return [OwnListRow(mailing_list, mine.get(mailing_list.id),
                       subscriptions.can_self_subscribe(actor, mailing_list))
            for mailing_list in visible_lists(None)
            if mailing_list.id in mine or subscriptions.can_self_subscribe(actor, mailing_list)]


def archive_for_members(mailing_list: MailingList) -> bool:
    return mailing_list.archive_visibility == ArchiveVisibility.MEMBERS


def can_read_archive(actor: Actor | None, mailing_list: MailingList) -> bool:
    if services.can_manage(actor):
        return True  # focal contacts read every archive, even one not public
    if mailing_list.archive_visibility == ArchiveVisibility.PUBLIC:
        return True
    if mailing_list.archive_visibility == ArchiveVisibility.MEMBERS:
        return services.member_of(actor) is not None
    return False


# --- the focal contact's subscribers page ------------------------------------------------

SUBSCRIBERS_PAGE = 50
# The page's filters: each subscription is in exactly one (besides "all").
SUBSCRIBER_FILTERS = [
    ("", "All"),
    ("active", "Active, receiving messages"),
    ("paused", "Active, delivery paused"),
    ("awaiting", "Waiting for approval"),
    ("pending", "Waiting for confirmation"),
    ("disabled", "Disabled (bounces)"),
    ("unsubscribed", "Unsubscribed"),
]
_STATUS = Subscription.status
_FILTER_CONDITIONS = {
    "active": (_STATUS == SubscriptionStatus.ACTIVE) & Subscription.delivery_enabled.is_(True),
    "paused": (_STATUS == SubscriptionStatus.ACTIVE) & Subscription.delivery_enabled.is_(False),
    "awaiting": (_STATUS == SubscriptionStatus.PENDING) & Subscription.confirmed_at.is_not(None),
    "pending": (_STATUS == SubscriptionStatus.PENDING) & Subscription.confirmed_at.is_(None),
    "disabled": _STATUS == SubscriptionStatus.DISABLED,
    "unsubscribed": _STATUS == SubscriptionStatus.UNSUBSCRIBED,
}


def subscriber_counts(mailing_list: MailingList) -> dict[str, int]:
    """How many subscriptions the list has in each of the page's filters ("" is all)."""
    counts = {value: 0 for value, _ in SUBSCRIBER_FILTERS}
    rows = db.session.execute(
        select(Subscription.status, Subscription.delivery_enabled,
               Subscription.confirmed_at.is_not(None), func.count())
        .where(Subscription.list_id == mailing_list.id)
        .group_by(Subscription.status, Subscription.delivery_enabled,
                  Subscription.confirmed_at.is_not(None)))
    for status, enabled, confirmed, count in rows:
        if status == SubscriptionStatus.ACTIVE:
            key = "active" if enabled else "paused"
        elif status == SubscriptionStatus.PENDING:
            key = "awaiting" if confirmed else "pending"
        else:
            key = status
        counts[key] = counts.get(key, 0) + count
        counts[""] += count
    return counts


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def subscribers(mailing_list: MailingList, status: str = "", search: str = "",
                page: int = 1) -> Page:
    """One page of the list's subscriptions, by address, filtered by the page's status
    filter and a piece of the address or name (any case)."""
    query = select(Subscription).where(Subscription.list_id == mailing_list.id)
    if status in _FILTER_CONDITIONS:
        query = query.where(_FILTER_CONDITIONS[status])
    search = " ".join(search.split())
    if search:
        pattern = _like(search.lower())
        query = query.where(func.lower(Subscription.email).like(pattern, escape="\\")
                            | func.lower(Subscription.name).like(pattern, escape="\\"))
    return paginate(query.order_by(Subscription.email, Subscription.id), page,
                    SUBSCRIBERS_PAGE)


# --- posts on the web -------------------------------------------------------------------

POSTS_PAGE = 50
FAILURES_SHOWN = 200


def list_posts(mailing_list: MailingList, author_id: int | None = None,
               page: int = 1) -> Page:
    """Drafts and sent posts of the list, newest first; only `author_id`'s if given.
    Posts held for moderation (part 2) are not here."""
    query = select(Post).where(Post.list_id == mailing_list.id,
                               Post.status.in_((PostStatus.DRAFT, PostStatus.QUEUED)))
    if author_id is not None:
        query = query.where(Post.author_id == author_id)
    return paginate(query.order_by(Post.created_at.desc(), Post.id.desc()), page, POSTS_PAGE)


def undelivered(post: Post, limit: int = FAILURES_SHOWN) -> list[Delivery]:
    """The copies that failed or wait for a retry, with the relay's last reply."""
    return list(db.session.scalars(
        select(Delivery).where(Delivery.post_id == post.id, Delivery.is_test.is_(False),
                               Delivery.status.in_((DeliveryStatus.FAILED,
                                                    DeliveryStatus.RETRY)))
        .order_by(Delivery.status, Delivery.id).limit(limit)))


def own_test_copies(post: Post, email: str, limit: int = 5) -> list[Delivery]:
    """The test copies of the post asked for by `email`, newest first."""
    return list(db.session.scalars(
        select(Delivery).where(Delivery.post_id == post.id, Delivery.is_test.is_(True),
                               Delivery.email == email)
        .order_by(Delivery.id.desc()).limit(limit)))
