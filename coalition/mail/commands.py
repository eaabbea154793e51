"""Commands e-mailed to `<list>-request@`, as Mailman takes them: `subscribe` (or `join`),
`unsubscribe` (or `leave`) and `help`, in the Subject or on the first lines of the body.

Quoted lines and blank lines are skipped; reading stops at a signature, at `end`, at the
first line that is not a command, or after a few commands. The sender is the From address
(else the envelope sender). A subscription takes the same double opt-in as the web form;
an unsubscription never happens on the strength of a From header, which anyone can forge:
the reply carries the subscription's own unsubscribe link. One reply per message, marked
`Auto-Submitted: auto-replied`; a message sent by a program is never answered (loops).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from flask import current_app, render_template
from sqlalchemy import select

from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.mail import outgoing, subscriptions
from coalition.mail.inbound import header, is_automated, sender_of, text_body
from coalition.mail.messages import address, notification, one_line
from coalition.mail.models import (
    InboundMessage,
    MailingList,
    Subscription,
    SubscriptionPolicy,
    SubscriptionSource,
    SubscriptionStatus,
)
from coalition.mail.notifications import list_address
from coalition.urls import external_url
from coalition.validation import normalize_email

MAX_COMMANDS = 5
_ALIASES = {"subscribe": "subscribe", "join": "subscribe", "unsubscribe": "unsubscribe",
            "leave": "unsubscribe", "help": "help"}
_STOP = {"end", "stop", "thanks", "thank"}
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|tr)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Result:
    line: str  # the command as written
    text: str  # what came of it, for the reply


def _command(line: str) -> str | None:
    words = line.strip().split()
    return _ALIASES.get(words[0].lower().rstrip(":")) if words else None


def find_commands(message: Message) -> list[tuple[str, str]]:
    """(command, line as written) in order: the Subject's, then the body's first lines."""
    found: list[tuple[str, str]] = []
    subject = _REPLY_PREFIX.sub("", header(message, "Subject"))
    command = _command(subject)
    if command:
        found.append((command, subject.strip()))
    for line in text_body(message).splitlines():
        stripped = line.strip()
        if line.rstrip("\r") == "-- " or stripped == "--":  # a signature follows
            break
        if not stripped or stripped.startswith(">"):
            continue
        if stripped.split()[0].lower() in _STOP:
            break
        command = _command(stripped)
        if command is None:
            break
        found.append((command, stripped[:200]))
        if len(found) >= MAX_COMMANDS:
            break
    unique: list[tuple[str, str]] = []
    for command, line in found:  # "subscribe" in the Subject and the body: once
        if command not in {c for c, _ in unique}:
            unique.append((command, line))
    return unique


def _subscribe(mailing_list: MailingList, email: str, name: str, now: datetime) -> str:
    policy = mailing_list.subscription_policy
    if policy == SubscriptionPolicy.MEMBERS_ONLY:
        return ("This list is for members of the coalition only. Members join it from their "
                f"page of lists, after signing in: {external_url('lists.mine')}")
    if policy == SubscriptionPolicy.CLOSED:
        return ("Subscribers to this list are added by the coalition's focal contacts; write "
                f"to them at {list_address(mailing_list.name, '-owner')} if you would like "
                "to join.")
    try:
        request = subscriptions.request_subscription(
            mailing_list, email, name, now, source=SubscriptionSource.EMAIL.value)
    except ValidationError as error:
        return f"Not subscribed: {error.message}"
    subscription = request.subscription
    if request.confirmation_sent:
        return (f"A confirmation link has been sent to {email} in a separate message. "
                "Nothing is sent to this address until it is opened and confirmed.")
    if subscription.is_active:
        return f"{email} is already subscribed to this list."
    if subscription.awaits_approval:
        return f"{email} is confirmed and waits for a focal contact's approval."
    return (f"A confirmation link was sent to {email} less than an hour ago; please use "
            "that one (check the spam folder too).")


def _unsubscribe(mailing_list: MailingList, email: str) -> str:
    subscription = db.session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.email == email))
    if subscription is None or subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        return f"{email} is not subscribed to this list: nothing to do."
    link = external_url("lists.unsubscribe", token=subscription.token)
    return ("Anyone can put an address in a From line, so an e-mail alone does not "
            f"unsubscribe. To unsubscribe {email}, open this link and press the button:\n\n"
            f"  {link}")


def _help(mailing_list: MailingList) -> str:
    return render_template(
        "mail/email/request_help.txt", mailing_list=mailing_list,
        address=list_address(mailing_list.name),
        request=list_address(mailing_list.name, "-request"),
        owner=list_address(mailing_list.name, "-owner"),
        page=external_url("lists.detail", name=mailing_list.name)).strip()


def handle(inbound: InboundMessage, mailing_list: MailingList, message: Message,
           now: datetime) -> str:
    """Carry out the message's commands and queue one reply; the outcome in a sentence."""
    if is_automated(message, inbound.mail_from):
        return "not answered: sent by a program (auto-reply, bounce or list mail)"
    name, email = sender_of(message, inbound.mail_from)
    if not email or "@" not in email:
        return "not answered: no sender address"
    try:
        email = normalize_email(email)
    except ValidationError:
        return f"not answered: the sender's address is not valid ({email[:100]})"
    commands = find_commands(message)
    results: list[Result] = []
    for command, line in commands:
        if command == "subscribe":
            results.append(Result(line, _subscribe(mailing_list, email, name, now)))
        elif command == "unsubscribe":
            results.append(Result(line, _unsubscribe(mailing_list, email)))
        else:
            results.append(Result(line, _help(mailing_list)))
    if not commands:
        results.append(Result("", "No command was found in your message.\n\n"
                                  + _help(mailing_list)))
    _reply(mailing_list, message, name, email, results)
    done = ", ".join(command for command, _ in commands) or "no command"
    return f"{done}: answered {email}"


def _reply(mailing_list: MailingList, message: Message, name: str, email: str,
           results: list[Result]) -> None:
    domain = current_app.config["MAIL_DOMAIN"]
    subject = header(message, "Subject")
    reply = notification(
        name, email,
        f"Re: {subject}" if subject else f"Your commands to {mailing_list.display_name}",
        "mail/email/request_reply.txt", mailing_list=mailing_list, results=results,
        request=list_address(mailing_list.name, "-request"))
    # Answered from the command address (a reply to the reply is a command again), and
    # marked as an automatic answer; bounces go to -bounces, never back to -request.
    del reply["From"]
    reply["From"] = address(f"{mailing_list.display_name} (commands)",
                            f"{mailing_list.name}-request@{domain}")
    reply["Sender"] = address(mailing_list.display_name, f"{mailing_list.name}-bounces@{domain}")
    reply.replace_header("Auto-Submitted", "auto-replied")
    original_id = one_line(header(message, "Message-ID"))
    if original_id.startswith("<") and original_id.endswith(">") and len(original_id) < 250:
        reply["In-Reply-To"] = original_id
        reply["References"] = original_id
    outgoing.queue(reply)
