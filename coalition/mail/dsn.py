"""Bounces that come back by e-mail to `<list>-bounces@`: delivery status notifications
(RFC 3464) read per recipient, matched to the subscription, and counted in its bounce score
as the relay's 5xx replies are (bounces.register_bounce).

As Mailman does: an Action "failed" counts, hard when its Status is 5.x.x (soft for a
4.x.x); "delayed" is only a warning and changes nothing. The subscription is found exactly
by the VERP token of the return path (`<list>-bounces+<token>@`, which every copy the
outbox sends carries). A report without a token is kept and counts for nobody: it did not
come back from one of our copies, and anyone can write a report naming a subscriber's
address to `<list>-bounces@`, so counting it would let a stranger disable them. A message
to -bounces that is not a bounce at all (an auto-reply, spam) is kept and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from flask import current_app
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail import bounces, incoming
from coalition.mail.inbound import header, parse_address, sender_of, text_body
from coalition.mail.models import (
    InboundMessage,
    MailingList,
    Subscription,
    SubscriptionStatus,
)

NOT_A_DSN = "not a delivery status notification"
_REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status")
# The plain-text bounces of qmail, Exim and many others: a permanent SMTP reply about the
# recipient (used only with a VERP token, which names the subscriber exactly).
_PLAIN_FAILURE = re.compile(
    r"\b5\d\d[ -](?:5\.\d{1,3}\.\d{1,3}\s+)?.{0,200}?(user unknown|unknown user|no such user|"
    r"does not exist|mailbox unavailable|mailbox not found|recipient address rejected|"
    r"address rejected|invalid recipient|no mailbox)", re.IGNORECASE | re.DOTALL)
_PLAIN_MARKERS = re.compile(
    r"qmail-send program|delivery software|could not be delivered|undeliver|"
    r"delivery (status notification|has failed)|returned mail|failure notice",
    re.IGNORECASE)


@dataclass(frozen=True)
class Report:
    """One recipient's block of a delivery status notification."""

    recipient: str  # Final-Recipient, else Original-Recipient ("" if neither)
    original_recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded (lower case)
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def is_hard(self) -> bool:
        return not self.status.startswith("4")

    @property
    def reply(self) -> str:
        text = self.diagnostic or f"{self.action} {self.status}".strip()
        if self.status and self.status not in text:
            text = f"{self.status} {text}"
        return text


def _address_field(value: str) -> str:
    """`rfc822; ann@example.net` → ann@example.net (lower case)."""
    kind, sep, rest = value.partition(";")
    return (rest if sep else kind).strip().strip("<>").lower()


def _type_field(value: str) -> str:
    """`smtp; 550 5.1.1 unknown` → 550 5.1.1 unknown."""
    kind, sep, rest = value.partition(";")
    return (rest if sep else kind).strip()


def reports(message: Message) -> list[Report] | None:
    """The per-recipient blocks of an RFC 3464 report, or None if the message is not one."""
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    found: list[Report] = []
    for part in message.walk():
        if part.get_content_type() not in _REPORT_TYPES:
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks:
            action = header(block, "Action").lower()
            if not action:  # the per-message block (Reporting-MTA, Arrival-Date)
                continue
            original = _address_field(header(block, "Original-Recipient"))
            status = header(block, "Status").split(" ")[0]
            found.append(Report(
                recipient=_address_field(header(block, "Final-Recipient")) or original,
                original_recipient=original, action=action, status=status,
                diagnostic=_type_field(header(block, "Diagnostic-Code"))))
    return found


def _plain_bounce(message: Message, mail_from: str) -> Report | None:
    """A non-RFC 3464 bounce (qmail, old Exim): a bounce's sender and a permanent reply."""
    envelope = (mail_from or "").strip().strip("<>")
    _, sender = sender_of(message, mail_from)
    from_daemon = not envelope or sender.partition("@")[0] in incoming.MAIL_DAEMONS
    body = text_body(message)
    if not from_daemon or not _PLAIN_MARKERS.search(header(message, "Subject") + "\n" + body):
        return None
    failure = _PLAIN_FAILURE.search(body)
    if failure is None:
        return None
    line = " ".join(failure.group(0).split())[:300]
    return Report(recipient="", original_recipient="", action="failed", status="5.0.0",
                  diagnostic=line)


def _by_token(mailing_list: MailingList, token: str) -> Subscription | None:
    return db.session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.token == token))


def _register(inbound: InboundMessage, subscription: Subscription, report: Report,
              now: datetime) -> str:
    if subscription.status != SubscriptionStatus.ACTIVE:
        return f"{subscription.email}: not counted (the subscription is {subscription.status})"
    event = bounces.register_bounce(subscription, now, report.reply, source="dsn",
                                    is_hard=report.is_hard)
    event.inbound_id = inbound.id
    kind = "hard" if report.is_hard else "soft"
    if not event.counted:
        return f"{subscription.email}: {kind} bounce, not counted (one a day counts)"
    result = f"{subscription.email}: {kind} bounce, score {subscription.bounce_score:.1f}"
    if subscription.status == SubscriptionStatus.DISABLED:
        result += ", disabled (the focal contacts are told)"
    return result


def handle(inbound: InboundMessage, mailing_list: MailingList, message: Message,
           now: datetime) -> str:
    parsed = parse_address(inbound.rcpt_to, current_app.config["MAIL_DOMAIN"])
    token = parsed.token if parsed is not None else None
    found = reports(message)
    if found is None:
        plain = _plain_bounce(message, inbound.mail_from) if token else None
        if plain is None:
            return NOT_A_DSN
        found = [plain]
    failed = [report for report in found if report.action == "failed"]
    if not failed:
        actions = ", ".join(sorted({report.action for report in found})) or "none"
        return f"no failed delivery reported (action: {actions}): nothing counted"
    # A permanent failure says more than a temporary one about the same address.
    failed.sort(key=lambda report: not report.is_hard)
    if token:
        subscription = _by_token(mailing_list, token)
        if subscription is None:
            return "the return path's token names no subscription of this list: nothing counted"
        return _register(inbound, subscription, failed[0], now)
    named = sorted({report.recipient or report.original_recipient for report in failed} - {""})
    return ("no VERP token in the return path, so not from one of our copies: nothing "
            f"counted (it reports {', '.join(named) or 'no recipient'})")[:2000]
