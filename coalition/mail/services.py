"""Lists and who may do what with them: creating and editing a list, archiving it, and
the permission checks the pages and the other list modules share. Subscriptions are in
subscriptions.py, posts in posting.py, delivery in delivery.py; members joining and leaving
reach the lists through membership.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from sqlalchemy import select

from coalition.audit import services as audit
from coalition.auth.models import Actor, User, is_active_focal_contact
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import membership
from coalition.mail.models import (
    ArchiveVisibility,
    AttachmentPolicy,
    ListKind,
    ListModerator,
    MailingList,
    NonMemberAction,
    PostingPolicy,
    ReplyTo,
    Subscription,
    SubscriptionPolicy,
)
from coalition.members.models import Member, MemberStatus
from coalition.validation import normalize_email

NAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
# The addresses part 2 answers beside the list's own (requests, bounces, owners).
RESERVED_SUFFIXES = ("-request", "-bounces", "-owner", "-confirm", "-join", "-leave")
# Names that are pages under /lists/ rather than lists.
RESERVED_NAMES = ("new", "mine", "confirm", "unsubscribe", "manage")
# Mailboxes every mail domain keeps for people (RFC 2142, RFC 5321's postmaster) and for
# mail systems: a list there would take the mail meant for the domain's administrators.
RESERVED_MAILBOXES = ("postmaster", "abuse", "hostmaster", "webmaster", "security", "noc",
                      "mailer-daemon", "root", "admin", "administrator", "noreply",
                      "no-reply", "nobody")
LIST_FIELDS = ("name", "display_name", "description", "kind", "subscription_policy",
               "posting_policy", "subscribe_members", "reply_to", "reply_to_address",
               "archive_visibility", "subject_prefix", "footer", "nonmember_action",
               "max_message_kb", "attachment_policy", "hold_days")
# Limits of the moderation settings: a message up to 25 MB (what most providers take), held
# from a day (a busy list) to three months.
MAX_MESSAGE_KB = (1, 25_600)
HOLD_DAYS = (1, 90)


# --- permissions ----------------------------------------------------------------------

def can_manage(actor: Actor | None) -> bool:
    return is_active_focal_contact(actor)


def require_manager(actor: Actor | None) -> None:
    if not can_manage(actor):
        raise PermissionDenied("Only a focal contact can manage mailing lists.")


def member_of(actor: Actor | None) -> Member | None:
    """The active member record behind a signed-in login, if any."""
    if not isinstance(actor, User) or not actor.is_active or actor.member_id is None:
        return None
    member = db.session.get(Member, actor.member_id)
    if member is None or member.status not in (MemberStatus.ACTIVE, MemberStatus.LAPSED):
        return None
    return member


def own_subscriptions(actor: Actor | None, list_id: int | None = None
                      ) -> dict[int, Subscription]:
    """The signed-in person's subscriptions by list id (of one list if `list_id`): those of
    their member record and those under their login's address; the member's own row wins
    over one under the same address."""
    if not isinstance(actor, User):
        return {}
    member = member_of(actor)
    condition = Subscription.email == actor.email.lower()
    if member is not None:
        condition = condition | (Subscription.member_id == member.id)
    query = select(Subscription).where(condition)
    if list_id is not None:
        query = query.where(Subscription.list_id == list_id)
    found: dict[int, Subscription] = {}
    for subscription in db.session.scalars(query):
        if subscription.list_id not in found or (
                member is not None and subscription.member_id == member.id):
            found[subscription.list_id] = subscription
    return found


def own_subscription(actor: Actor | None, mailing_list: MailingList) -> Subscription | None:
    """The signed-in person's subscription to the list (by member, else by login e-mail)."""
    return own_subscriptions(actor, mailing_list.id).get(mailing_list.id)


def can_post(actor: Actor | None, mailing_list: MailingList) -> bool:
    """Who may write to the list on the web: focal contacts, and whoever the list allows."""
    if mailing_list.is_archived:
        return False
    if can_manage(actor):
        return True
    if member_of(actor) is None:
        return False
    if mailing_list.posting_policy == PostingPolicy.MEMBERS:
        return True
    if mailing_list.posting_policy == PostingPolicy.SUBSCRIBERS:
        subscription = own_subscription(actor, mailing_list)
        return subscription is not None and subscription.is_active
    return False


def can_moderate(actor: Actor | None, mailing_list: MailingList) -> bool:
    """Who decides on held posts: focal contacts, and the list's moderators."""
    if can_manage(actor):
        return True
    if not isinstance(actor, User) or not actor.is_active:
        return False
    return db.session.scalar(select(ListModerator.id).where(
        ListModerator.list_id == mailing_list.id, ListModerator.user_id == actor.id)
    ) is not None


def can_see(actor: Actor | None, mailing_list: MailingList) -> bool:
    """Whether the list's page is shown: archived lists only to focal contacts."""
    return not mailing_list.is_archived or can_manage(actor)


# --- lists ----------------------------------------------------------------------------

@dataclass
class ListInput:
    name: str = ""
    display_name: str = ""
    description: str = ""
    kind: str = ListKind.ANNOUNCE.value
    subscription_policy: str = SubscriptionPolicy.OPEN.value
    posting_policy: str = PostingPolicy.FOCAL_CONTACTS.value
    subscribe_members: bool = False
    reply_to: str = ReplyTo.SENDER.value
    reply_to_address: str | None = None
    archive_visibility: str = ArchiveVisibility.PUBLIC.value
    subject_prefix: str = ""
    footer: str = ""
    nonmember_action: str = NonMemberAction.HOLD.value
    max_message_kb: int = 1024
    attachment_policy: str = AttachmentPolicy.KEEP.value
    hold_days: int = 14


def field_line(value: str | None, field: str, max_length: int, required: bool) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationError(field, "This is required.")
    if len(value) > max_length:
        raise ValidationError(field, f"Keep it under {max_length} characters.")
    return value


def _text(value: str | None, field: str, max_length: int) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if len(value) > max_length:
        raise ValidationError(field, f"Keep it under {max_length} characters.")
    return value


def _choice(value: str, vocabulary, field: str) -> str:
    if value not in {item.value for item in vocabulary}:
        raise ValidationError(field, "Choose one of the options.")
    return value


def _whole_number(value, field: str, limits: tuple[int, int], unit: str) -> int:
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"Enter a whole number of {unit}.")
    if not low <= value <= high:
        raise ValidationError(field, f"Enter between {low:,} and {high:,} {unit}.")
    return value


def check_list_name(name: str, list_id: int | None = None) -> str:
    name = (name or "").strip().lower()
    if not name:
        raise ValidationError("name", "Enter the list's address (the part before the @).")
    # Two dots in a row are not allowed in an address's local part (RFC 5321 dot-atom).
    if not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ValidationError("name", "Use lower-case letters, digits, dots, hyphens and "
                                      "underscores, starting and ending with a letter or digit.")
    if name in RESERVED_NAMES:
        raise ValidationError("name", f"“{name}” is kept for the site's own pages.")
    if name in RESERVED_MAILBOXES:
        raise ValidationError("name", f"“{name}@” is kept for the mail domain's "
                                      "administrators and mail systems.")
    if name.endswith(RESERVED_SUFFIXES):
        raise ValidationError("name", "This ending is kept for the list's own addresses "
                                      f"({', '.join(RESERVED_SUFFIXES)}).")
    taken = db.session.scalar(select(MailingList.id).where(MailingList.name == name))
    if taken is not None and taken != list_id:
        raise ValidationError("name", "Another list already has this address.")
    return name


def _apply(mailing_list: MailingList, data: ListInput) -> None:
    mailing_list.name = check_list_name(data.name, mailing_list.id)
    mailing_list.display_name = field_line(data.display_name, "display_name", 200, True)
    mailing_list.description = _text(data.description, "description", 5000)
    mailing_list.kind = _choice(data.kind, ListKind, "kind")
    mailing_list.subscription_policy = _choice(data.subscription_policy, SubscriptionPolicy,
                                               "subscription_policy")
    mailing_list.posting_policy = _choice(data.posting_policy, PostingPolicy, "posting_policy")
    mailing_list.subscribe_members = bool(data.subscribe_members)
    mailing_list.reply_to = _choice(data.reply_to, ReplyTo, "reply_to")
    if mailing_list.reply_to == ReplyTo.ADDRESS:
        mailing_list.reply_to_address = normalize_email(data.reply_to_address or "",
                                                        "reply_to_address")
    else:
        mailing_list.reply_to_address = None
    mailing_list.archive_visibility = _choice(data.archive_visibility, ArchiveVisibility,
                                              "archive_visibility")
    mailing_list.subject_prefix = field_line(data.subject_prefix, "subject_prefix", 60, False)
    mailing_list.footer = _text(data.footer, "footer", 2000)
    mailing_list.nonmember_action = _choice(data.nonmember_action, NonMemberAction,
                                            "nonmember_action")
    mailing_list.max_message_kb = _whole_number(data.max_message_kb, "max_message_kb",
                                                MAX_MESSAGE_KB, "KB")
    mailing_list.attachment_policy = _choice(data.attachment_policy, AttachmentPolicy,
                                             "attachment_policy")
    mailing_list.hold_days = _whole_number(data.hold_days, "hold_days", HOLD_DAYS, "days")


def list_input(mailing_list: MailingList) -> ListInput:
    """A list's settings as the form shows them."""
    return ListInput(**{f.name: getattr(mailing_list, f.name) for f in fields(ListInput)})


def create_list(actor: Actor, data: ListInput) -> MailingList:
    require_manager(actor)
    mailing_list = MailingList()
    _apply(mailing_list, data)
    db.session.add(mailing_list)
    audit.record(actor, "create", mailing_list,
                 audit.diff({}, audit.snapshot(mailing_list, LIST_FIELDS)))
    if mailing_list.subscribe_members:
        membership.subscribe_active_members(actor, mailing_list)
    return mailing_list


def update_list(actor: Actor, mailing_list: MailingList, data: ListInput) -> dict:
    require_manager(actor)
    before = audit.snapshot(mailing_list, LIST_FIELDS)
    was_subscribing = mailing_list.subscribe_members
    _apply(mailing_list, data)
    changes = audit.diff(before, audit.snapshot(mailing_list, LIST_FIELDS))
    if changes:
        audit.record(actor, "update", mailing_list, changes)
    if mailing_list.subscribe_members and not was_subscribing:
        membership.subscribe_active_members(actor, mailing_list)
    return changes


def set_list_archived(actor: Actor, mailing_list: MailingList, archived: bool) -> None:
    """Archived lists take no posts and no subscribers; nothing about them is deleted."""
    require_manager(actor)
    if mailing_list.is_archived == archived:
        return
    mailing_list.is_archived = archived
    audit.record(actor, "archive" if archived else "restore", mailing_list,
                 {"is_archived": [not archived, archived]})
