"""Moderation: posts held for a moderator's decision, and what becomes of them.

A post is held by the list's rules (rules.py) with a reason; the sender is told it waits,
the list's moderators are told there is something to decide; an undecided post expires
after the list's `hold_days`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from coalition.audit import services as audit
from coalition.auth.models import Actor, SystemActor, User, is_active_focal_contact
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import notifications, posting, services
from coalition.mail.models import (
    ListModerator,
    MailingList,
    Post,
    PostStatus,
    SenderAction,
    SenderRule,
)
from coalition.validation import normalize_email

RULES = SystemActor("list rules")
MAX_NOTE = 5000  # characters of a rejection note, sent to the sender


def hold(post: Post, reason: str, now: datetime) -> None:
    """Hold the post for moderation: `reason` is shown to moderators and the sender."""
    post.status = PostStatus.HELD.value
    post.hold_reason = reason[:500]
    post.held_at = now
    post.hold_expires_at = now + timedelta(days=post.mailing_list.hold_days)
    audit.record(RULES, "hold", post, {"status": [None, "held"]}, summary=reason[:200])
    notifications.post_held(post)


# --- deciding on a held post ------------------------------------------------------------

def _require_moderator(actor: Actor | None, mailing_list: MailingList) -> None:
    if not services.can_moderate(actor, mailing_list):
        raise PermissionDenied("Only the list's moderators and the focal contacts can decide "
                               "on its held messages.")


def _decide(actor: Actor, post: Post, status: PostStatus, now: datetime,
            note: str | None = None) -> None:
    """Take the post out of the queue, once: two moderators deciding at the same moment
    both read it as held, so the change is made only where it is still held, and whoever
    comes second changes nothing and is told what happened."""
    _require_moderator(actor, post.mailing_list)
    if post.status == PostStatus.HELD:
        changed = db.session.execute(
            update(Post).where(Post.id == post.id, Post.status == PostStatus.HELD.value)
            .values(status=status.value, moderated_by_id=actor.id if isinstance(actor, User)
                    else None, moderated_at=now, moderation_note=note)
            .execution_options(synchronize_session=False)).rowcount
    else:
        changed = 0
    db.session.refresh(post)
    if not changed:
        raise ValidationError(None, _already_decided(post))


def _already_decided(post: Post) -> str:
    if post.status == PostStatus.HELD:  # pragma: no cover - only if the row vanished
        return "This message is no longer in the queue."
    if post.moderated_by is None and post.status == PostStatus.DISCARDED:
        return "Nobody decided on this message in time: it expired and was discarded."
    who = f" by {post.moderated_by.name}" if post.moderated_by is not None else ""
    decided = {"queued": "approved"}.get(post.status, post.status)
    return f"This message is no longer held: it was {decided}{who}. Nothing was changed."


def approve(actor: Actor, post: Post, now: datetime | None = None) -> int:
    """Send the held post to the list (subscribers and archive). Returns the recipients."""
    now = now or utcnow()
    if post.mailing_list.is_archived and post.status == PostStatus.HELD:
        raise ValidationError(None, "The list is archived: nothing can be sent to it. "
                                    "Reject or discard the message instead.")
    _decide(actor, post, PostStatus.QUEUED, now)
    count = posting.queue_copies(post, now)
    audit.record(actor, "approve", post, {"status": ["held", "queued"]},
                 summary=f"queued for {count} recipient(s)")
    return count


def reject(actor: Actor, post: Post, note: str = "", now: datetime | None = None) -> None:
    """Refuse the post and tell the sender, with the moderator's note."""
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError("note", f"Keep the note under {MAX_NOTE:,} characters.")
    _decide(actor, post, PostStatus.REJECTED, now or utcnow(), note or None)
    audit.record(actor, "reject", post, {"status": ["held", "rejected"]},
                 summary=note[:200])
    notifications.post_rejected(post, note)


def discard(actor: Actor, post: Post, now: datetime | None = None) -> None:
    """Drop the post without a word to anyone (spam, mostly: a notice would go to a forged
    address)."""
    _decide(actor, post, PostStatus.DISCARDED, now or utcnow())
    audit.record(actor, "discard", post, {"status": ["held", "discarded"]})


def accept_always(actor: Actor, post: Post, now: datetime | None = None) -> tuple[int, int]:
    """Approve the post and accept its sender's future posts to this list without holding
    them. As in Mailman, only this post is approved: the sender's other held posts stay
    for a look (they may be held for their size or attachments, not their sender).
    Returns (recipients, the sender's posts still held)."""
    now = now or utcnow()
    count = approve(actor, post, now)
    # The address as the rules stored it on the post (rules._normalized): one that
    # email-validator refuses is still the address the rules will see next time, so it is
    # not checked again here (checking it would refuse, and undo, the approval).
    _store_rule(actor, post.mailing_list, post.sender_email.lower(),
                SenderAction.ACCEPT.value)
    still_held = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.list_id == post.list_id, Post.status == PostStatus.HELD.value,
        func.lower(Post.sender_email) == post.sender_email.lower()))
    return count, still_held


def expire_held(now: datetime | None = None) -> int:
    """Discard the posts nobody decided on in time. Silently, as Mailman does: the sender
    was told the date when the post was held, and most expired posts are spam, whose
    sender address is forged. Returns how many expired."""
    now = now or utcnow()
    expired = 0
    for post in db.session.scalars(select(Post).where(
            Post.status == PostStatus.HELD.value, Post.hold_expires_at <= now)
            .order_by(Post.id)):
        # A moderator deciding now wins: only a post still held is expired.
        if db.session.execute(
                update(Post).where(Post.id == post.id, Post.status == PostStatus.HELD.value)
                .values(status=PostStatus.DISCARDED.value, moderated_at=now)
                .execution_options(synchronize_session=False)).rowcount:
            db.session.refresh(post)
            audit.record(RULES, "expire", post, {"status": ["held", "discarded"]},
                         summary=f"nobody decided within {post.mailing_list.hold_days} day(s)")
            expired += 1
    return expired


def held_count(mailing_list: MailingList) -> int:
    return db.session.scalar(select(func.count()).select_from(Post).where(
        Post.list_id == mailing_list.id, Post.status == PostStatus.HELD.value))


def size_of(post: Post) -> int:
    """The message's size in bytes: as it arrived by e-mail, else its text."""
    if post.inbound is not None:
        return post.inbound.size
    return len(post.body.encode()) + sum(item.size for item in post.attachments)


def held_posts(mailing_list: MailingList) -> list[Post]:
    """The queue, oldest first (the first to expire)."""
    return list(db.session.scalars(select(Post).where(
        Post.list_id == mailing_list.id, Post.status == PostStatus.HELD.value)
        .options(selectinload(Post.attachments), selectinload(Post.inbound))
        .order_by(Post.held_at, Post.id)))


# --- moderators -------------------------------------------------------------------------

def moderators_of(mailing_list: MailingList) -> list[ListModerator]:
    return list(db.session.scalars(select(ListModerator).join(User).where(
        ListModerator.list_id == mailing_list.id).order_by(func.lower(User.email))))


def moderated_lists(actor: Actor | None) -> list[MailingList]:
    """The lists whose queue the signed-in person may see (focal contacts: every list)."""
    if services.can_manage(actor):
        return list(db.session.scalars(select(MailingList).where(
            MailingList.is_archived.is_(False)).order_by(MailingList.display_name)))
    if not isinstance(actor, User) or not actor.is_active:
        return []
    return list(db.session.scalars(select(MailingList).join(
        ListModerator, ListModerator.list_id == MailingList.id).where(
        ListModerator.user_id == actor.id).order_by(MailingList.display_name)))


def add_moderator(actor: Actor, mailing_list: MailingList, user_email: str) -> ListModerator:
    """Make a login a moderator of the list (focal contacts only)."""
    services.require_manager(actor)
    email = normalize_email(user_email, "email")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        raise ValidationError("email", "Nobody signs in with this address: a moderator needs "
                                       "a login (add one on the users page first).")
    if not user.is_active:
        raise ValidationError("email", f"The login {user.email} is deactivated.")
    if is_active_focal_contact(user):
        raise ValidationError("email", f"{user.email} is a focal contact, who moderates "
                                       "every list already.")
    if db.session.scalar(select(ListModerator.id).where(
            ListModerator.list_id == mailing_list.id, ListModerator.user_id == user.id)):
        raise ValidationError("email", f"{user.email} already moderates this list.")
    moderator = ListModerator(mailing_list=mailing_list, user=user)
    db.session.add(moderator)
    audit.record(actor, "add_moderator", mailing_list, {"moderators": [None, user.email]},
                 summary=f"{user.email} moderates {mailing_list.name}")
    return moderator


def remove_moderator(actor: Actor, moderator: ListModerator) -> None:
    services.require_manager(actor)
    mailing_list, email = moderator.mailing_list, moderator.user.email
    db.session.delete(moderator)
    audit.record(actor, "remove_moderator", mailing_list, {"moderators": [email, None]},
                 summary=f"{email} no longer moderates {mailing_list.name}")


# --- sender rules -----------------------------------------------------------------------

def sender_rules(mailing_list: MailingList) -> list[SenderRule]:
    return list(db.session.scalars(select(SenderRule).where(
        SenderRule.list_id == mailing_list.id).order_by(SenderRule.email)))


def sender_rule_for(mailing_list: MailingList, email: str) -> SenderRule | None:
    """The standing decision about this address's posts to the list, if any."""
    return db.session.scalar(select(SenderRule).where(
        SenderRule.list_id == mailing_list.id, SenderRule.email == (email or "").lower()))


def set_sender_rule(actor: Actor, mailing_list: MailingList, email: str,
                    action: str) -> SenderRule:
    """Accept, hold, reject or discard one address's posts to the list from now on (a
    rule for the address already there is changed, not doubled)."""
    _require_moderator(actor, mailing_list)
    return _store_rule(actor, mailing_list, normalize_email(email, "email"), action)


def _store_rule(actor: Actor, mailing_list: MailingList, email: str,
                action: str) -> SenderRule:
    _require_moderator(actor, mailing_list)
    if action not in {item.value for item in SenderAction}:
        raise ValidationError("action", "Choose one of the options.")
    rule = sender_rule_for(mailing_list, email)
    if rule is None:
        rule = SenderRule(mailing_list=mailing_list, email=email, action=action,
                          created_by_id=actor.id if isinstance(actor, User) else None)
        db.session.add(rule)
        audit.record(actor, "add_rule", rule, {"email": [None, email],
                                               "action": [None, action]})
    elif rule.action != action:
        audit.record(actor, "update_rule", rule, {"action": [rule.action, action]})
        rule.action = action
    return rule


def remove_sender_rule(actor: Actor, rule: SenderRule) -> None:
    _require_moderator(actor, rule.mailing_list)
    audit.record(actor, "remove_rule", rule, {"email": [rule.email, None],
                                              "action": [rule.action, None]})
    db.session.delete(rule)
