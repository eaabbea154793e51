"""Demo lists: an announcement list and a members' discussion list with the demo members
on them, a few public subscribers, one welcome announcement queued for the worker, and on
the discussion list a short thread received by e-mail and a non-member's message held for
moderation (stored and handled as the LMTP server would), so the archive and the
moderation queue have something to show."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import select

from coalition.auth.models import Actor, User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import posting, rules, services, subscriptions
from coalition.mail.messages import address
from coalition.mail.models import (
    InboundKind,
    InboundMessage,
    InboundStatus,
    MailingList,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
)
from coalition.urls import external_url

WELCOME = """\
Dear members and friends of the coalition,

Welcome to our new home. From today the coalition's **members, action plan, reports and
mailing lists** live in one place:

- the [reports page]({reports}) has every annual report and position paper, searchable;
- members update the status of the action items they own themselves;
- this announcement list replaces the old spreadsheet of addresses.

Every message carries a link to unsubscribe at once. Replies to this announcement reach
the focal contact, not the whole list; for discussion, members use the discussion list.

With best regards,
the focal contact
"""

# (who: 0 and 1 are the first two subscribers, None a non-member; hours ago; subject;
# the message it answers; text)
THREAD = (
    (0, 30, "Draft agenda for our IGF session",
     None,
     "Dear all,\n\nhere is a first draft of the agenda for our session at the IGF:\n\n"
     "1. Welcome and introductions (5 min)\n2. Age assurance: where do we stand? (20 min)\n"
     "3. Open discussion with the audience (30 min)\n4. Next steps (5 min)\n\n"
     "Comments welcome by Friday.\n\nBest,\n{name}\n"),
    (1, 26, "Re: Draft agenda for our IGF session",
     0,
     "Thanks, this looks good. Could we give the open discussion a moderator from the "
     "youth constituency?\n\n{parent_name} wrote:\n> Comments welcome by Friday.\n\n"
     "{name}\n"),
    (0, 20, "Re: Draft agenda for our IGF session",
     1,
     "Good idea: I have asked the youth IGF coordinators for a name.\n\n{name}\n"),
    (None, 8, "Invitation to speak at our conference",
     None,
     "Hello,\n\nwe would like to invite a speaker from your coalition to our conference "
     "on children's rights online next spring. Please reply to this address.\n\n"
     "Kind regards,\n{name}\n"),
)
OUTSIDER = ("Conference Office", "office@conference.example.com")


def _raw(name: str, email: str, mailing_list: MailingList, subject: str, text: str,
         written, message_id: str, parent: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = address(name, email)
    message["To"] = address(mailing_list.display_name,
                            f"{mailing_list.name}@{current_app.config['MAIL_DOMAIN']}")
    message["Subject"] = subject
    message["Date"] = format_datetime(written)
    message["Message-ID"] = message_id
    if parent:
        message["In-Reply-To"] = parent
        message["References"] = parent
    message.set_content(text)
    return message.as_bytes()


def received_by_mail(mailing_list: MailingList) -> None:
    """The discussion: a thread among two subscribers and a non-member's held message,
    each stored as an InboundMessage and put through the list's rules."""
    people = list(db.session.scalars(select(Subscription).where(
        Subscription.list_id == mailing_list.id,
        Subscription.status == SubscriptionStatus.ACTIVE).order_by(Subscription.id).limit(2)))
    if len(people) < 2:
        return
    now = utcnow()
    domain = current_app.config["MAIL_DOMAIN"]
    ids: list[str] = []
    for who, hours_ago, subject, answers, text in THREAD:
        name, email = OUTSIDER if who is None else (people[who].name or people[who].email,
                                                    people[who].email)
        parent = ids[answers] if answers is not None else None
        parent_name = people[answers].name if answers is not None else ""
        written = now - timedelta(hours=hours_ago)
        message_id = make_msgid(domain=email.rpartition("@")[2])
        ids.append(message_id)
        raw = _raw(name, email, mailing_list, subject,
                   text.format(name=name, parent_name=parent_name), written, message_id,
                   parent)
        inbound = InboundMessage(received_at=written, mail_from=email,
                                 rcpt_to=f"{mailing_list.name}@{domain}",
                                 list_id=mailing_list.id, kind=InboundKind.POST.value,
                                 message_id=message_id, size=len(raw), raw=raw)
        db.session.add(inbound)
        db.session.flush()
        inbound.outcome = rules.receive(mailing_list, inbound, written)
        inbound.status = InboundStatus.HANDLED.value
        inbound.handled_at = written


PUBLIC_SUBSCRIBERS = (
    ("journalist@example.net", "Jon Reporter"),
    ("helpline@example.com", "Kinderhilfe Helpline"),
    ("researcher@example.edu", "Dr. Ngozi Okafor"),
)


def load(actor: Actor, focal_contact: User) -> None:
    announce = services.create_list(actor, services.ListInput(
        name="announce", display_name="DC-COS Announcements",
        description="News from the Dynamic Coalition on Child Online Safety: sessions, "
                    "reports and calls for input. About one message a month.\n\n"
                    "Anyone may subscribe; members are subscribed when they join.",
        kind="announce", subscription_policy="open", posting_policy="focal_contacts",
        subscribe_members=True, reply_to="sender", archive_visibility="public",
        subject_prefix="[DC-COS]",
        footer="Dynamic Coalition on Child Online Safety — an IGF dynamic coalition."))
    discuss = services.create_list(actor, services.ListInput(
        name="discuss", display_name="DC-COS Members' discussion",
        description="Discussion among the coalition's members: drafts, session planning, "
                    "questions to each other.",
        kind="discussion", subscription_policy="members_only", posting_policy="subscribers",
        subscribe_members=True, reply_to="list", archive_visibility="members",
        subject_prefix="[DC-COS discuss]"))
    for email, name in PUBLIC_SUBSCRIBERS:
        subscriptions.add_subscriber(actor, announce, email, name,
                                source=SubscriptionSource.DEMO.value)
    welcome = posting.compose(focal_contact, announce, posting.PostInput(
        subject="Welcome to the coalition's new home",
        body=WELCOME.format(reports=external_url("reports.index")),
        body_format="markdown"))
    posting.send(focal_contact, welcome)
    received_by_mail(discuss)
