"""The posting rules: what becomes of a message someone sent to a list's address.

The LMTP server has stored the message (an InboundMessage) before calling `receive`;
this decides, in the order of Mailman's posting chain:

1. dropped, with no post made: our own list's message coming back (a loop: our List-Id,
   or this list's address in X-BeenThere or X-Loop), an auto-reply, a delivery status
   notification sent to the post address, a message with no sender, one from a mail
   server (an empty envelope sender, mailer-daemon or postmaster: a hold or rejection
   notice to it would only bounce back), or one already posted to this list (the same
   Message-ID, or the same original Message-ID where ours replaced it);
2. then a post is made, and decided on: an archived list rejects it; a sender whom a
   moderator blocked ("reject" or "discard") is refused; a message over the list's size
   limit, or with attachments where the list holds them, is held; then the sender's
   standing, the same as on the web (posting.standing): a moderator's "accept" or "hold",
   a focal contact posts, a subscriber on moderation is held, whoever the posting policy
   lets post does; everyone else gets the list's non-member action (hold, reject with a
   notice, or discard silently). On an announce list nothing received by e-mail goes out
   unseen: what would be accepted is held (a From line can be forged, a focal contact's
   too; the web is the signed-in way to announce).

Precedence: a message with `Precedence: bulk` or `junk` is an automatic one (a vacation
reply, a newsletter) and is dropped, as Mailman does. `Precedence: list` is not: it is
what every list puts on its copies, so a member forwarding or cross-posting from another
list sends it, and their message is a real one; our own copies coming back are caught by
our List-Id instead.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import getaddresses, make_msgid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coalition.audit import services as audit
from coalition.auth.models import Role, SystemActor, User
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.mail import incoming, moderation, notifications, posting
from coalition.mail.incoming import Incoming
from coalition.mail.listmail import list_id as list_identifier
from coalition.mail.models import (
    Attachment,
    AttachmentPolicy,
    InboundMessage,
    MailingList,
    NonMemberAction,
    Post,
    PostFormat,
    PostingPolicy,
    PostSource,
    PostStatus,
    SenderAction,
    Subscription,
    SubscriptionStatus,
)
from coalition.members.models import Member, MemberStatus
from coalition.validation import normalize_email

RECEIVER = SystemActor("e-mail to the list")


def _kb(size: int) -> str:
    return f"{(size + 1023) // 1024:,} KB"


ANNOUNCE_HELD = ("An announcement received by e-mail waits for a moderator: its sender "
                 "cannot be checked. Announcements sent on the web go out at once.")


def _posted_here(mailing_list: MailingList, message_id: str):
    """Posts of the list that are `message_id`'s message: under that id, or under an id
    of ours that replaced it because another list had it first (_message_id); the stored
    message then still has the original. Without the second, a message going round
    between lists would get a fresh id, and be posted again, on every pass."""
    received = select(InboundMessage.id).where(InboundMessage.message_id == message_id)
    return select(Post.id).where(
        Post.list_id == mailing_list.id,
        Post.status.in_((PostStatus.QUEUED.value, PostStatus.HELD.value)),
        (Post.message_id == message_id) | Post.inbound_id.in_(received))


def _dropped(mailing_list: MailingList, message: Incoming, mail_from: str) -> str | None:
    """Why the message makes no post at all, or None."""
    domain = current_app.config["MAIL_DOMAIN"]
    address = f"{mailing_list.name}@{domain}"
    marked = {found.lower() for _, found in getaddresses(message.x_loop + message.been_there)}
    if f"<{list_identifier(mailing_list, domain)}>" in message.list_id.lower() \
            or address in marked:
        return "dropped: the list's own message came back (a mail loop)"
    automatic = incoming.automatic(message.auto_submitted, message.precedence,
                                   list_counts=False)
    if automatic:
        return f"dropped: {automatic}"
    if message.content_type == "multipart/report":
        return "dropped: a delivery report sent to the list's address, not a post"
    if not message.sender_email:
        return "dropped: the message names no sender"
    mail_system = incoming.from_mail_system(message.sender_email, mail_from)
    if mail_system:
        return f"dropped: {mail_system}"
    if not message.message_id_made and db.session.scalar(
            _posted_here(mailing_list, message.message_id).limit(1)) is not None:
        return f"dropped: {message.message_id} was already posted to this list"
    return None


def _message_id(message: Incoming) -> tuple[str, str | None]:
    """The post's Message-ID and References. Post.message_id is unique across lists: a
    message cross-posted to two of our lists (or sent again after a rejection) gets an id
    of its own on its second post, with the original kept at the end of References so
    mail programs still put the two together."""
    taken = db.session.scalar(select(Post.id).where(Post.message_id == message.message_id))
    if taken is None:
        return message.message_id, message.references
    references = " ".join(filter(None, [message.references, message.message_id]))
    return make_msgid(domain=current_app.config["MAIL_DOMAIN"]), references


def _normalized(address: str) -> str:
    """The sender as the list stores addresses (normalize_email), so that a subscriber's
    From matches their subscription however their mail program writes it."""
    try:
        return normalize_email(address)
    except ValidationError:  # not valid to the letter, but it is what they sent from
        return address.lower()


def _login(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == address,
                                                User.is_active.is_(True)))


def _subscription(mailing_list: MailingList, address: str) -> Subscription | None:
    return db.session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.email == address))


def _is_active_member(address: str, login: User | None) -> bool:
    member_ids = select(Member.id).where(Member.status == MemberStatus.ACTIVE.value)
    if db.session.scalar(member_ids.where(Member.email == address)) is not None:
        return True
    return login is not None and login.member_id is not None and db.session.scalar(
        member_ids.where(Member.id == login.member_id)) is not None


def _decide(mailing_list: MailingList, post: Post, message: Incoming) -> tuple[str, str]:
    """(action, reason): action is accept, hold, reject or discard."""
    address = post.sender_email
    if mailing_list.is_archived:
        return "reject", "The list is archived and takes no more messages."
    rule = posting.sender_rule(mailing_list, [address])
    # A moderator's block wins over everything: a blocked sender's large message does not
    # wait in the queue.
    if rule is not None and rule.action in (SenderAction.REJECT, SenderAction.DISCARD):
        return rule.action, posting.BLOCKED
    limit = mailing_list.max_message_kb * 1024
    if message.size > limit:
        return "hold", (f"The message is {_kb(message.size)}; the list takes messages of up "
                        f"to {_kb(limit)}.")
    if message.attachments and mailing_list.attachment_policy == AttachmentPolicy.HOLD:
        return "hold", (f"The message has {len(message.attachments)} attachment(s); the "
                        "list holds messages with attachments for a moderator.")
    login = post.author  # the active login behind the address, found when the post was made
    subscription = _subscription(mailing_list, address)
    active = subscription is not None and subscription.status == SubscriptionStatus.ACTIVE
    policy = mailing_list.posting_policy
    allowed = None
    if policy == PostingPolicy.SUBSCRIBERS and active:
        allowed = "A subscriber."
    elif policy == PostingPolicy.MEMBERS and _is_active_member(address, login):
        allowed = "An active member."
    decided = posting.standing(rule, login is not None and login.role == Role.FOCAL_CONTACT,
                               subscription, allowed)
    if decided is not None:
        if decided[0] == "accept" and mailing_list.is_announce:
            # Whoever the From line names: anyone can write a focal contact's address
            # there. Focal contacts announce on the web, signed in; by e-mail a moderator
            # looks first. (Strangers still get the list's non-member action below: a
            # hold notice to a forged sender would be backscatter.)
            return "hold", ANNOUNCE_HELD
        return decided
    who = {PostingPolicy.SUBSCRIBERS: "subscribers", PostingPolicy.MEMBERS: "members",
           PostingPolicy.FOCAL_CONTACTS: "the focal contacts"}[PostingPolicy(policy)]
    reason = f"{address} may not post to this list directly: only {who} may."
    return mailing_list.nonmember_action, reason


def _make_post(mailing_list: MailingList, inbound: InboundMessage, message: Incoming,
               body: str) -> Post | None:
    """The post, or None if the same message was posted to this list at the same moment
    (the mail server delivered it twice at once, and the other copy won the unique
    Message-ID). When the copy that won went to another of our lists (a cross-post
    arriving at both at once), this one takes an id of its own, as _message_id does."""
    message_id, references = _message_id(message)
    address = _normalized(message.sender_email)
    login = _login(address)
    for attempt in range(2):
        post = Post(
            mailing_list=mailing_list, author=login,
            sender_name=(message.sender_name or message.sender_email.partition("@")[0])[:200],
            sender_email=address[:254],
            subject=message.subject or "(no subject)", body=body,
            body_format=PostFormat.TEXT.value, status=PostStatus.DRAFT.value,
            message_id=message_id, in_reply_to=message.in_reply_to, references=references,
            source=PostSource.EMAIL.value, inbound_id=inbound.id)
        try:
            with db.session.begin_nested():
                db.session.add(post)
                db.session.flush()
        except IntegrityError:
            winner = db.session.scalar(select(Post.list_id).where(
                Post.message_id == message_id))
            if attempt or winner is None or winner == mailing_list.id:
                return None
            references = " ".join(filter(None, [references, message_id]))
            message_id = make_msgid(domain=current_app.config["MAIL_DOMAIN"])
            continue
        return post
    return None  # pragma: no cover - the second attempt returns


def receive(mailing_list: MailingList, inbound: InboundMessage, now: datetime) -> str:
    """Apply the list's rules to a stored message; returns what came of it (the
    InboundMessage's outcome). Runs in the caller's transaction."""
    message = incoming.parse(inbound.raw, envelope_sender=inbound.mail_from)
    dropped = _dropped(mailing_list, message, inbound.mail_from)
    if dropped is not None:
        return dropped

    strip = mailing_list.attachment_policy == AttachmentPolicy.STRIP and message.attachments
    body = message.text
    if strip:
        # Mailman says so in the message too: readers know something was sent.
        body = (body.rstrip("\n") + "\n\n" + incoming.stripped_note(message.attachments)
                ).lstrip("\n")
    post = _make_post(mailing_list, inbound, message, body)
    if post is None:
        return f"dropped: {message.message_id} was posted at the same moment"
    action, reason = _decide(mailing_list, post, message)
    audit.record(RECEIVER, "receive", post, summary=(
        f"from {post.sender_email}: {action}" + (
            f" ({len(message.attachments)} attachment(s) removed)" if strip else "")))

    if not strip and action in ("accept", "hold"):
        for position, found in enumerate(message.attachments, start=1):
            db.session.add(Attachment(post_id=post.id, position=position,
                                      filename=found.filename,
                                      content_type=found.content_type, size=found.size,
                                      data=found.data))
    if action == "accept":
        count = posting.queue_copies(post, now)
        audit.record(RECEIVER, "send", post, {"status": ["draft", "queued"]},
                     summary=f"queued for {count} recipient(s)")
        return f"posted to {count} subscriber(s) as post {post.id} ({reason.rstrip('.')})"
    if action == "hold":
        moderation.hold(post, reason, now)
        return f"held for moderation as post {post.id}: {reason}"
    _close(post, action, reason, now)
    if action == NonMemberAction.REJECT:
        notifications.post_rejected(post, reason)
        return f"rejected (the sender is told): {reason}"
    return f"discarded: {reason}"


def _close(post: Post, action: str, reason: str, now: datetime) -> None:
    """Refused by the rules (reject or discard): kept, with why, for the moderators."""
    status = PostStatus.REJECTED if action == NonMemberAction.REJECT else PostStatus.DISCARDED
    post.status = status.value
    post.moderated_at = now
    post.moderation_note = reason
    audit.record(RECEIVER, str(action), post, {"status": ["draft", status.value]},
                 summary=reason[:200])
