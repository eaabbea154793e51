"""Bounces by e-mail to <list>-bounces over LMTP: RFC 3464 reports matched by the VERP
token (or by the reported recipient), counted in the bounce score, delay warnings ignored,
non-bounces kept; and the done-when: past the threshold the subscriber is disabled and the
focal contacts are told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.models import BounceEvent, Subscription
from tests.mail.fixtures_delivery import add_subscribers, make_list
from tests.mail.fixtures_inbound import DOMAIN, message, stored

BOUNCES = f"news-bounces@{DOMAIN}"


def dsn(recipient: str, action: str = "failed", status: str = "5.1.1",
        diagnostic: str = "smtp; 550 5.1.1 <{r}>: Recipient address rejected: User unknown",
        original: str | None = None) -> str:
    """A delivery status notification as Postfix writes one."""
    original_line = f"Original-Recipient: rfc822;{original}\r\n" if original else ""
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        "To: news-bounces@lists.coalition.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
        f"\r\nFinal-Recipient: rfc822; {recipient}\r\n{original_line}"
        f"Action: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: {diagnostic.format(r=recipient)}\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: Coalition News <news@lists.coalition.test>\r\nSubject: Meeting\r\n"
        "\r\n--B--\r\n")


def events() -> list[BounceEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(BounceEvent).order_by(BounceEvent.id)))


def fresh(subscription: Subscription) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, subscription.id)


def test_a_dsn_to_the_verp_address_counts_for_that_subscriber_exactly(lmtp):
    news = make_list(name="news")
    ann, bob = add_subscribers(news, people=[("ann@example.net", "Ann"),
                                             ("bob@example.net", "Bob")])
    # The receiving server reports a rewritten address: the token still names Ann.
    raw = dsn("forwarded-ann@mail.example.com")

    replies = lmtp.send(raw, [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    assert replies[f"news-bounces+{ann.token}@{DOMAIN}"][0] == 250
    [row] = stored()
    [event] = events()
    assert (event.subscription_id, event.source, event.is_hard, event.inbound_id) == \
        (ann.id, "dsn", True, row.id)
    assert "550 5.1.1" in event.reply and "User unknown" in event.reply
    assert fresh(ann).bounce_score == 1.0 and fresh(bob).bounce_score == 0.0
    assert row.status == "handled"
    assert row.outcome == "ann@example.net: hard bounce, score 1.0"


def test_a_report_without_a_token_counts_for_nobody(lmtp):
    """Anyone can write a report naming a subscriber to -bounces@: only the VERP token,
    which only our copies carry, makes a bounce count."""
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])

    lmtp.send(dsn("ann@example.net"), [BOUNCES], sender="")
    lmtp.send(dsn("ann.alias@mail.example.com", original="ann@example.net"), [BOUNCES],
              sender="")

    assert events() == [] and fresh(ann).bounce_score == 0.0
    assert [row.outcome for row in stored()] == [
        "no VERP token in the return path, so not from one of our copies: nothing counted "
        "(it reports ann@example.net)",
        "no VERP token in the return path, so not from one of our copies: nothing counted "
        "(it reports ann.alias@mail.example.com)"]


def test_a_delay_warning_changes_nothing(lmtp):
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])

    lmtp.send(dsn("ann@example.net", action="delayed", status="4.4.1",
                  diagnostic="smtp; 451 4.4.1 try again later"),
              [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    assert events() == []
    [row] = stored()
    assert row.outcome == "no failed delivery reported (action: delayed): nothing counted"


def test_a_failure_with_a_temporary_status_is_a_soft_bounce(lmtp):
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])

    lmtp.send(dsn("ann@example.net", status="4.2.2",
                  diagnostic="smtp; 452 4.2.2 mailbox full"),
              [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    [event] = events()
    assert event.is_hard is False and fresh(ann).bounce_score == 0.5


def test_a_message_that_is_not_a_bounce_is_kept_and_changes_nothing(lmtp):
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])

    replies = lmtp.send(message(subject="Out of office", body="I am away until Monday.\n"),
                        [f"news-bounces+{ann.token}@{DOMAIN}"])

    assert replies[f"news-bounces+{ann.token}@{DOMAIN}"][0] == 250
    [row] = stored()
    assert (row.status, row.outcome) == ("handled", "not a delivery status notification")
    assert b"I am away until Monday." in row.raw
    assert events() == [] and fresh(ann).bounce_score == 0.0


def test_a_plain_text_bounce_with_a_token_counts_as_hard(lmtp):
    news = make_list(name="news")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])
    qmail = ("From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\n"
             "Hi. This is the qmail-send program at mx.example.net.\r\n"
             "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
             "\r\n<ann@example.net>:\r\n"
             "192.0.2.1 does not like recipient.\r\n"
             "Remote host said: 550 5.1.1 User unknown\r\n")

    lmtp.send(qmail, [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    [event] = events()
    assert event.subscription_id == ann.id and event.is_hard and "550" in event.reply


def test_a_token_of_another_list_or_an_ended_subscription_counts_nothing(lmtp):
    news = make_list(name="news")
    other = make_list(name="other", display_name="Other")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])
    [bob] = add_subscribers(other, people=[("bob@example.net", "Bob")])
    ann.status = "unsubscribed"
    db.session.commit()

    lmtp.send(dsn("bob@example.net"), [f"news-bounces+{bob.token}@{DOMAIN}"], sender="")
    lmtp.send(dsn("ann@example.net"), [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    assert events() == []
    assert [row.outcome for row in stored()] == [
        "the return path's token names no subscription of this list: nothing counted",
        "ann@example.net: not counted (the subscription is unsubscribed)"]


@pytest.mark.parametrize("app_overrides", [{"BOUNCE_THRESHOLD": 2}])
def test_past_the_threshold_the_subscriber_is_disabled_and_the_owner_is_told(
        lmtp, focal, outbox):
    news = make_list(name="news", display_name="Coalition News")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])
    # One bounce already counted yesterday (one a day counts).
    ann.bounce_score = 1.0
    ann.last_bounce_at = utcnow() - timedelta(days=1)
    db.session.commit()

    lmtp.send(dsn("ann@example.net"), [f"news-bounces+{ann.token}@{DOMAIN}"], sender="")

    ann = fresh(ann)
    assert ann.bounce_score == 2.0 and ann.status == "disabled"
    [row] = stored()
    assert row.outcome == "ann@example.net: hard bounce, score 2.0, disabled " \
                          "(the focal contacts are told)"
    [notice] = outbox()
    assert notice["To"].addresses[0].addr_spec == focal.email
    assert notice["Subject"] == "Coalition News: ann@example.net disabled after bounces"
    assert "User unknown" in notice.get_content()
