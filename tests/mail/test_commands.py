"""Commands e-mailed to <list>-request over LMTP: subscribe with the web's double opt-in,
unsubscribe only by the subscription's own link, help, one automatic reply per message,
and no answer at all to messages sent by programs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail.commands import MAX_COMMANDS, find_commands
from coalition.mail.inbound import parse
from coalition.mail.models import Subscription
from tests.mail.fixtures_delivery import add_subscribers, make_list
from tests.mail.fixtures_inbound import DOMAIN, message, stored

REQUEST = f"news-request@{DOMAIN}"


def subscription(email: str) -> Subscription | None:
    db.session.expire_all()
    return db.session.scalar(select(Subscription).where(Subscription.email == email))


def body_text(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def commands_of(subject: str = "", body: str = "") -> list[str]:
    raw = message(subject=subject, body=body).encode()
    return [command for command, _ in find_commands(parse(raw))]


@pytest.mark.parametrize(("subject", "body", "expected"), [
    ("subscribe", "", ["subscribe"]),
    ("Re: Fwd: JOIN", "", ["subscribe"]),
    ("", "\n\nleave\n", ["unsubscribe"]),
    ("subscribe", "subscribe\nhelp\n", ["subscribe", "help"]),  # the same command once
    ("Question", "help\nI would also like to know when the next meeting is.\nunsubscribe\n",
     ["help"]),  # stops at the first line that is not a command
    ("", "> unsubscribe\nhelp\n", ["help"]),  # quoted lines are someone else's words
    ("", "help\n-- \nunsubscribe\n", ["help"]),  # the signature is not read
    ("", "help\nend\nunsubscribe\n", ["help"]),
    ("Hello there", "Please add me to the list.\n", []),
])
def test_commands_are_read_from_the_subject_and_the_first_lines(subject, body, expected):
    assert commands_of(subject, body) == expected


def test_at_most_a_few_commands_are_read():
    body = "help\nsubscribe\nunsubscribe\n" * 10
    found = find_commands(parse(message(subject="x", body=body).encode()))
    assert len(found) <= MAX_COMMANDS


def test_subscribe_by_email_sends_the_confirmation_and_a_reply(lmtp, outbox, client):
    make_list(name="news", subscription_policy="open")

    replies = lmtp.send(message(subject="subscribe", sender="Ann Example <Ann@Example.NET>"),
                        [REQUEST], sender="bounce-123@mx.example.net")

    assert replies[REQUEST][0] == 250
    [row] = stored()
    assert row.status == "handled" and row.outcome == "subscribe: answered ann@example.net"
    pending = subscription("ann@example.net")
    assert pending.status == "pending" and pending.source == "email" and pending.name == \
        "Ann Example"
    confirmation, reply = sorted(outbox(), key=lambda m: "confirm" not in m["Subject"].lower())
    assert confirmation["To"].addresses[0].addr_spec == "ann@example.net"
    assert reply["To"].addresses[0].addr_spec == "ann@example.net"
    assert reply["From"].addresses[0].addr_spec == REQUEST
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<m1@example.net>"
    assert reply["Subject"] == "Re: subscribe"
    assert "A confirmation link has been sent to ann@example.net" in body_text(reply)

    # The link in the confirmation works as the web form's does.
    link = re.search(r"http://coalition\.test(/lists/confirm/\S+)", body_text(confirmation))
    response = client.post(link.group(1))
    assert response.status_code == 200
    assert subscription("ann@example.net").status == "active"


def test_asking_twice_within_the_hour_sends_no_second_confirmation(lmtp, outbox):
    make_list(name="news", subscription_policy="open")
    lmtp.send(message(subject="subscribe"), [REQUEST])
    lmtp.send(message(subject="subscribe", message_id="<m2@example.net>"), [REQUEST])

    subjects = sorted(m["Subject"] for m in outbox())
    assert sum("Confirm" in s for s in subjects) == 1
    second_reply = [m for m in outbox() if m["In-Reply-To"] == "<m2@example.net>"][0]
    assert "less than an hour ago" in body_text(second_reply)


@pytest.mark.parametrize(("policy", "expected"), [
    ("members_only", "for members of the coalition only"),
    ("closed", "added by the coalition's focal contacts"),
])
def test_lists_that_take_no_subscriptions_by_email_say_so_politely(lmtp, outbox, policy,
                                                                   expected):
    make_list(name="news", subscription_policy=policy)

    lmtp.send(message(subject="subscribe"), [REQUEST])

    [reply] = outbox()
    assert expected in body_text(reply)
    assert subscription("ann@example.net") is None


def test_unsubscribe_by_email_sends_the_subscriptions_own_link_and_changes_nothing(
        lmtp, outbox, anonymous):
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])

    lmtp.send(message(subject="Re: unsubscribe"), [REQUEST])

    [reply] = outbox()
    text = body_text(reply)
    assert f"http://coalition.test/lists/unsubscribe/{ann.token}" in text
    assert subscription("ann@example.net").status == "active"  # a From line proves nothing
    page = anonymous.get(f"/lists/unsubscribe/{ann.token}")
    assert page.status_code == 200 and "<button" in page.get_data(as_text=True)


def test_unsubscribe_from_an_address_that_is_not_subscribed(lmtp, outbox):
    make_list(name="news")

    lmtp.send(message(subject="unsubscribe", sender="bob@example.net"), [REQUEST],
              sender="bob@example.net")

    [reply] = outbox()
    assert "bob@example.net is not subscribed to this list" in body_text(reply)
    assert "/lists/unsubscribe/" not in body_text(reply)


def test_help_and_a_message_without_commands_get_the_help_text(lmtp, outbox):
    make_list(name="news", display_name="Coalition News")

    lmtp.send(message(subject="help"), [REQUEST])
    lmtp.send(message(subject="Hi", body="Where do I sign up?\n",
                      message_id="<m2@example.net>"), [REQUEST])

    helped, nothing = sorted(outbox(), key=lambda m: m["In-Reply-To"])
    for reply in (helped, nothing):
        text = body_text(reply)
        assert f"news@{DOMAIN}" in text and REQUEST in text
        assert "http://coalition.test/lists/news/" in text
    assert "No command was found" in body_text(nothing)
    assert [row.outcome for row in stored()] == ["help: answered ann@example.net",
                                                 "no command: answered ann@example.net"]


@pytest.mark.parametrize(("extra", "sender", "envelope"), [
    ("Auto-Submitted: auto-replied\r\n", "ann@example.net", "ann@example.net"),
    ("Precedence: bulk\r\n", "ann@example.net", "ann@example.net"),
    ("Precedence: list\r\n", "ann@example.net", "ann@example.net"),
    ("", "MAILER-DAEMON@mx.example.net", "ann@example.net"),
    ("", "ann@example.net", ""),
])
def test_messages_sent_by_programs_are_never_answered(lmtp, outbox, extra, sender, envelope):
    make_list(name="news", subscription_policy="open")

    replies = lmtp.send(message(subject="subscribe", extra=extra, sender=sender), [REQUEST],
                        sender=envelope)

    assert replies[REQUEST][0] == 250
    [row] = stored()
    assert row.status == "handled" and row.outcome.startswith("not answered: sent by a program")
    assert outbox() == []
    assert subscription("ann@example.net") is None
