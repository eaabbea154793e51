"""What the LMTP server received: the message is stored first (so nothing is ever lost),
then handled by the address it came to: a post, a command, a bounce, a note to the owners.

`receive` and `handle` only flush; `process` is the edge both the LMTP server and
`coalition mail inbound retry` use: it handles one stored message in its own transaction,
and a message whose handling fails is kept, marked failed with the error, to be retried.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import SMTP as SMTP_POLICY

from flask import current_app
from sqlalchemy import select

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import incoming, notifications, outgoing
from coalition.mail.messages import address, notification
from coalition.mail.models import InboundKind, InboundMessage, InboundStatus, MailingList

log = logging.getLogger(__name__)

_SUFFIXES = {"-request": InboundKind.REQUEST, "-bounces": InboundKind.BOUNCE,
             "-owner": InboundKind.OWNER}
# Marks the owners' copy of a message, so that one coming back to -owner is not sent again.
FORWARD_MARK = "X-Coalition-Owner-Forward"


@dataclass(frozen=True)
class Address:
    """One of a list's addresses, as parsed from RCPT TO."""

    list_name: str
    kind: InboundKind
    token: str | None = None  # the VERP token of <list>-bounces+<token>@


def parse_address(recipient: str, domain: str) -> Address | None:
    """Which list address `recipient` is: `<list>`, `<list>-request`, `<list>-bounces`,
    `<list>-bounces+<token>` or `<list>-owner` at `domain` (any case); None otherwise.
    Whether the list exists is the caller's question."""
    local, at, host = recipient.strip().strip("<>").rpartition("@")
    if not at or host.lower() != domain.lower() or not local:
        return None
    # The token keeps its case: it is the subscription's secret, compared exactly.
    base, plus, token = local.partition("+")
    base = base.lower()
    for suffix, kind in _SUFFIXES.items():
        if base.endswith(suffix) and len(base) > len(suffix):
            if plus and kind != InboundKind.BOUNCE:
                return None
            if plus and not token:
                return None
            return Address(base[:-len(suffix)], kind, token or None)
    if plus:  # an extension only ever belongs to a bounce address
        return None
    return Address(base, InboundKind.POST)


def list_for(recipient: str) -> tuple[MailingList, Address] | None:
    """The open list a recipient address belongs to, or None (unknown, archived, other
    domain): the LMTP server refuses those at RCPT time."""
    parsed = parse_address(recipient, current_app.config["MAIL_DOMAIN"])
    if parsed is None:
        return None
    mailing_list = db.session.scalar(select(MailingList).where(
        MailingList.name == parsed.list_name))
    if mailing_list is None or mailing_list.is_archived:
        return None
    return mailing_list, parsed


# --- reading a message that may be malformed in any way ---------------------------------

def parse(raw: bytes) -> Message:
    """The message as the `email` package reads it, whatever the bytes (never raises; a
    huge header makes it the lenient reading: see incoming.read)."""
    return incoming.read(raw)[0]


def header(message: Message, name: str) -> str:
    """A header's text on one line, or "" (a header the parser cannot read counts as none)."""
    try:
        value = message.get(name)
        return incoming.header_line(str(value)) if value is not None else ""
    except Exception:  # a malformed header: whatever is wrong with it, it says nothing usable
        return ""


def _raw_message_id(raw: bytes) -> str | None:
    try:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        value = headers.get("Message-ID")
    except Exception:
        return None
    if value is None:
        return None
    # Only kept to find the message again (InboundMessage.message_id, 250 characters).
    return incoming.header_line(str(value))[:250] or None


def sender_of(message: Message, mail_from: str) -> tuple[str, str]:
    """(name, address) of who wrote the message: its From, else the envelope sender."""
    try:
        field = message.get("From")
        addresses = getattr(field, "addresses", ()) if field is not None else ()
    except Exception:  # an unreadable From: read it as text below
        addresses = ()
    if addresses and "@" in (addresses[0].addr_spec or ""):
        # The typed header keeps raw 8-bit bytes of a name, which repaired() reads.
        return (incoming.header_line(addresses[0].display_name),
                incoming.header_line(addresses[0].addr_spec).lower())
    name, sender = incoming.first_address([header(message, "From")])
    if not sender:
        name, sender = incoming.first_address([mail_from or ""])
    return name, sender


def is_automated(message: Message, mail_from: str) -> bool:
    """Whether a message was sent by a program (an auto-reply, a bounce, a list): such a
    message is never answered, or two programs could answer each other for ever."""
    return bool(incoming.automatic(header(message, "Auto-Submitted"),
                                   header(message, "Precedence"), list_counts=True)
                or incoming.from_mail_system(sender_of(message, mail_from)[1], mail_from))


def text_body(message: Message) -> str:
    """The message's readable text ("" if it has none), as posts read it."""
    return incoming.message_text(message)


# --- storing and handling ---------------------------------------------------------------

def receive(raw: bytes, mail_from: str, rcpt_to: str, mailing_list: MailingList,
            kind: InboundKind, now: datetime | None = None) -> InboundMessage:
    """Store a message as it came (the caller commits before answering "250")."""
    inbound = InboundMessage(
        received_at=now or utcnow(), mail_from=(mail_from or "")[:500], rcpt_to=rcpt_to[:500],
        mailing_list=mailing_list, kind=kind.value, message_id=_raw_message_id(raw),
        size=len(raw), raw=raw, status=InboundStatus.RECEIVED.value)
    db.session.add(inbound)
    db.session.flush()
    return inbound


def handle(inbound: InboundMessage, now: datetime | None = None) -> str:
    """Do what the message asks, by the address it came to; mark it handled with what came
    of it. Raises whatever the handling raises (the caller rolls back and marks it failed)."""
    # Imported here: they read messages with this module's helpers.
    from coalition.mail import commands, dsn

    now = now or utcnow()
    mailing_list = inbound.mailing_list
    if mailing_list is None:
        outcome = "not handled: the list no longer exists"
    elif inbound.kind == InboundKind.POST:
        from coalition.mail import rules  # the list's posting rules (helper "rules")

        outcome = rules.receive(mailing_list, inbound, now)
    elif inbound.kind == InboundKind.REQUEST:
        outcome = commands.handle(inbound, mailing_list, parse(inbound.raw), now)
    elif inbound.kind == InboundKind.BOUNCE:
        outcome = dsn.handle(inbound, mailing_list, parse(inbound.raw), now)
    else:
        outcome = forward_to_owners(inbound, mailing_list, parse(inbound.raw))
    inbound.status = InboundStatus.HANDLED.value
    inbound.outcome = outcome
    inbound.handled_at = now
    db.session.flush()
    return outcome


def process(inbound_id: int, now: datetime | None = None) -> InboundMessage | None:
    """Handle a stored message and commit; None if there was nothing to do (no such
    message, already handled, or in another server's hands). If handling raises, nothing
    of it is kept (its e-mails are not sent): the message is marked failed with the error,
    which a focal contact sees in `coalition mail inbound --failed` and can retry. Never
    raises for a handling error; a database that cannot even record the failure leaves the
    message "received", which a retry also takes.

    The row is locked while it is handled (PostgreSQL): a second server taking up messages
    left over (`recover`) skips one that is still in another's hands, and one handled
    meanwhile is not handled again."""
    query = select(InboundMessage).where(InboundMessage.id == inbound_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    inbound = db.session.scalar(query)
    if inbound is None:
        db.session.rollback()
        return None
    if inbound.status == InboundStatus.HANDLED:  # by another server, meanwhile
        db.session.rollback()
        return None
    try:
        handle(inbound, now)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("inbound message %s (%s to %s) could not be handled",
                      inbound_id, inbound.mail_from, inbound.rcpt_to)
        inbound = db.session.get(InboundMessage, inbound_id)
        inbound.status = InboundStatus.FAILED.value
        inbound.outcome = f"failed: {type(error).__name__}: {error}"[:2000]
        inbound.handled_at = None
        db.session.commit()
    return inbound


# A message still "received" this long after it came was stored by a server that stopped
# (or lost its database) before handling it: nobody is handling it any more.
LEFT_OVER_AFTER = timedelta(minutes=5)


def left_over(now: datetime | None = None) -> list[int]:
    """Messages stored but never handled (the server stopped in between), oldest first."""
    cutoff = (now or utcnow()) - LEFT_OVER_AFTER
    return list(db.session.scalars(select(InboundMessage.id).where(
        InboundMessage.status == InboundStatus.RECEIVED.value,
        InboundMessage.received_at < cutoff).order_by(InboundMessage.id)))


def recover(now: datetime | None = None) -> int:
    """Handle the messages a stopped server left unhandled; the LMTP server does this when
    it starts. Returns how many."""
    ids = left_over(now)
    db.session.commit()
    return sum(process(stored_id, now) is not None for stored_id in ids)


# --- mail to <list>-owner ---------------------------------------------------------------

def _is_list_address(recipient: str) -> bool:
    return parse_address(recipient, current_app.config["MAIL_DOMAIN"]) is not None


def forward_to_owners(inbound: InboundMessage, mailing_list: MailingList,
                      message: EmailMessage) -> str:
    """Send the focal contacts a short notice with the message attached (message/rfc822).

    Attached rather than re-sent as it came: re-sent under its author's From, it would
    fail their domain's DKIM/DMARC at the focal contact's provider and look like list
    mail; attached, it arrives intact and the notice says whom to answer. The notice's
    envelope sender is `<list>-bounces@`, so its bounces never come back to -owner."""
    if header(message, FORWARD_MARK):
        return "not forwarded: it is one of our own forwards coming back (a loop)"
    owners = [owner for owner in notifications.focal_contacts()
              if not _is_list_address(owner.email)]
    if not owners:
        return "not forwarded: there is no focal contact to forward it to"
    name, sender = sender_of(message, inbound.mail_from)
    subject = header(message, "Subject") or "(no subject)"
    domain = current_app.config["MAIL_DOMAIN"]
    attach = _original_attacher(message, inbound.raw)  # decided once, for every owner
    for owner in owners:
        notice = notification(
            owner.name, owner.email,
            f"{mailing_list.display_name}: for the owners, from {sender or 'unknown'}",
            "mail/email/owner_forward.txt", mailing_list=mailing_list, sender=sender,
            sender_name=name, original_subject=subject,
            owner_address=notifications.list_address(mailing_list.name, "-owner"))
        notice["Sender"] = address(mailing_list.display_name,
                                   f"{mailing_list.name}-bounces@{domain}")
        notice[FORWARD_MARK] = mailing_list.name
        if sender and "@" in sender:
            notice["Reply-To"] = address(name, sender)
        attach(notice)
        outgoing.queue(notice)
    return f"forwarded to {len(owners)} focal contact(s)"


def _original_attacher(original: Message, raw: bytes):
    """How the message goes into each owner's notice: as it came, as message/rfc822; bytes
    no parser can write back out (a broken encoding), or a message only the lenient
    parser reads (a huge header, which writing out again would take as long as reading),
    as a plain .eml file instead, still whole. Tried once, whatever the number of owners."""
    attempt = EmailMessage()
    try:
        if not isinstance(original, EmailMessage):
            raise ValueError("read leniently")
        attempt.add_attachment(original)
        attempt.as_bytes(policy=SMTP_POLICY)
    except Exception:
        return lambda notice: notice.add_attachment(
            raw, maintype="application", subtype="octet-stream",
            filename="original-message.eml")
    return lambda notice: notice.add_attachment(original)


def outcome_line(inbound: InboundMessage) -> str:
    """One line for `coalition mail inbound`."""
    when = inbound.received_at.strftime("%Y-%m-%d %H:%M")
    name = inbound.mailing_list.name if inbound.mailing_list else "?"
    outcome = re.sub(r"\s+", " ", inbound.outcome or "")
    return (f"{inbound.id:>6}  {when}  {inbound.status:<8}  {inbound.kind:<7}  {name:<20}  "
            f"{inbound.mail_from or '<>'}  {outcome}")
