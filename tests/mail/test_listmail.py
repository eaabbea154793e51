"""The copies of a post as a real relay receives them: every list header, parsed back with
Python's `email` parser; encodings; no header injection; safe HTML; the footer's link."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from coalition.extensions import db
from coalition.mail.models import MailingList, Post, Subscription
from tests.mail.fixtures_delivery import (
    add_subscribers,
    make_list,
    queue_post,
    run_worker,
    smtp_settings,
)

DOMAIN = "lists.coalition.test"


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay, BASE_URL="https://coalition.test")


def received(relay) -> dict[str, tuple[str, EmailMessage]]:
    """Each recipient's copy (and its envelope sender); one copy each, or the test fails."""
    by_recipient: dict[str, tuple[str, EmailMessage]] = {}
    for delivery in relay.deliveries:
        assert len(delivery.rcpt_tos) == 1
        assert delivery.rcpt_tos[0] not in by_recipient, "a recipient got two copies"
        by_recipient[delivery.rcpt_tos[0]] = (delivery.mail_from, delivery.message)
    return by_recipient


def content(part: EmailMessage) -> str:
    """A part's text with the wire's CRLF line ends read as newlines (as a mail reader does)."""
    return part.get_content().replace("\r\n", "\n")


def text_part(message: EmailMessage) -> str:
    return content(message.get_body(preferencelist=("plain",)))


def html_part(message: EmailMessage) -> str:
    return content(message.get_body(preferencelist=("html",)))


def raw_header(message: EmailMessage, name: str) -> str:
    """The header as it travelled, before the parser decoded it."""
    return next(value for key, value in message.raw_items() if key.lower() == name.lower())


def test_each_copy_carries_every_list_header_with_its_own_unsubscribe_link(app, relay, focal):
    focal.name = "Zoë Ñandú"
    db.session.commit()
    news = make_list(display_name="Nouvelles de la coalition", subject_prefix="[News]",
                     footer="Sent to every member of the coalition.")
    ann, bob = add_subscribers(news, people=[("ann@example.net", "Ann Ørsted"),
                                             ("bob@example.net", "Bob")])
    post = queue_post(news, author=focal, subject="Réunion — ordre du jour",
                      body="We meet on **Tuesday**.", body_format="markdown")

    run_worker(app)

    copies = received(relay)
    assert set(copies) == {"ann@example.net", "bob@example.net"}
    links = {}
    for subscription in (ann, bob):
        sender, message = copies[subscription.email]
        assert sender == f"news-bounces+{subscription.token}@{DOMAIN}"  # VERP
        assert message.defects == []
        assert message["List-Id"] == f"Nouvelles de la coalition <news.{DOMAIN}>"
        assert message["List-Help"] == (f"<mailto:news-request@{DOMAIN}?subject=help>, "
                                        "<https://coalition.test/lists/news/>")
        assert message["List-Post"] == "NO"  # an announce list
        assert message["List-Archive"] == "<https://coalition.test/lists/news/archive/>"
        assert message["Archived-At"] == \
            f"<https://coalition.test/lists/news/archive/{post.id}/>"
        assert message["List-Owner"] == f"<mailto:news-owner@{DOMAIN}>"
        link = f"https://coalition.test/lists/unsubscribe/{subscription.token}"
        assert message["List-Unsubscribe"] == \
            f"<{link}>, <mailto:news-request@{DOMAIN}?subject=unsubscribe>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Precedence"] == "list"
        assert message["Message-ID"] == post.message_id
        assert abs(message["Date"].datetime - post.queued_at) < timedelta(seconds=1)
        assert message["Date"].datetime.utcoffset() == timedelta(0)
        assert message["From"].addresses[0].display_name == \
            "Zoë Ñandú via Nouvelles de la coalition"
        assert message["From"].addresses[0].addr_spec == f"news@{DOMAIN}"
        assert message["Reply-To"].addresses[0].addr_spec == "focal@example.org"
        assert message["To"].addresses[0].addr_spec == subscription.email  # personal on announce
        assert message["To"].addresses[0].display_name == subscription.name
        assert message["Subject"] == "[News] Réunion — ordre du jour"
        # Non-ASCII travels as RFC 2047 encoded words: every header line is ASCII.
        assert all(value.isascii() for _, value in message.raw_items())
        assert "=?utf-8?" in raw_header(message, "Subject").lower()
        assert "=?utf-8?" in raw_header(message, "From").lower()
        # The footer, in both alternatives, carries this recipient's own link.
        text, html = text_part(message), html_part(message)
        assert text.startswith("We meet on **Tuesday**.\n")
        assert "Sent to every member of the coalition." in text
        assert f"Unsubscribe: {link}\n" in text
        assert "<strong>Tuesday</strong>" in html
        assert f'<a href="{link}">Unsubscribe</a>' in html
        links[subscription.email] = link
    assert links["ann@example.net"] != links["bob@example.net"]
    assert bob.token not in copies["ann@example.net"][1].as_string()
    assert copies["ann@example.net"][1]["To"].addresses[0].display_name == "Ann Ørsted"


def test_discussion_posts_invite_replies_and_each_post_has_its_own_message_id(app, relay):
    forum = make_list(name="forum", display_name="Forum", kind="discussion",
                      reply_to="list", archive_visibility="none")
    add_subscribers(forum, people=[("ann@example.net", "Ann"), ("bob@example.net", "Bob")])
    first = queue_post(forum, subject="First")
    second = queue_post(forum, subject="Second")

    run_worker(app)

    messages = [delivery.message for delivery in relay.deliveries]
    assert len(messages) == 4
    for message in messages:
        assert message["List-Post"] == f"<mailto:forum@{DOMAIN}>"
        assert message["To"] == f"Forum <forum@{DOMAIN}>"  # the list, not the reader
        assert message["Reply-To"] == f"Forum <forum@{DOMAIN}>"
        assert "List-Archive" not in message and "Archived-At" not in message
    ids = {message["Subject"]: set() for message in messages}
    for message in messages:
        ids[message["Subject"]].add(message["Message-ID"])
    assert ids == {"First": {first.message_id}, "Second": {second.message_id}}
    assert first.message_id != second.message_id


def test_a_line_break_in_a_subject_or_a_name_adds_no_header(app, relay):
    news = make_list()
    add_subscribers(news, people=[("eve@example.net", "Eve\r\nBcc: mallory@example.com")])
    post = queue_post(news)
    # Stored as another way in could one day store them (an inbound post, an import).
    db.session.execute(update(Post).where(Post.id == post.id).values(
        subject="Hello\r\nBcc: mallory@example.com\nX-Injected: yes"))
    db.session.execute(update(MailingList).where(MailingList.id == news.id).values(
        display_name="News\r\nX-Injected: yes"))
    db.session.commit()

    run_worker(app)

    [delivery] = relay.deliveries
    message = delivery.message
    assert delivery.rcpt_tos == ["eve@example.net"]
    assert "Bcc" not in message and "X-Injected" not in message
    assert message.defects == []
    assert message["Subject"] == "Hello Bcc: mallory@example.com X-Injected: yes"
    assert message["To"].addresses[0].display_name == "Eve Bcc: mallory@example.com"
    assert message["To"].addresses[0].addr_spec == "eve@example.net"
    assert message["List-Id"] == f"News X-Injected: yes <news.{DOMAIN}>"


def test_markdown_becomes_html_without_scripts_or_javascript_links(app, relay):
    news = make_list()
    add_subscribers(news, people=[("ann@example.net", "Ann")])
    queue_post(news, body_format="markdown", body=(
        "Read [the report](https://example.org/report).\n\n"
        "<script>alert('x')</script>\n\n"
        "[click me](javascript:alert(1)) and <img src=x onerror=alert(1)>\n\n"
        "<a href=\"javascript:alert(2)\">raw link</a>"))

    run_worker(app)

    html = html_part(relay.deliveries[0].message)
    assert '<a href="https://example.org/report">the report</a>' in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert 'href="javascript:' not in html.lower()
    assert "&lt;script&gt;" in html  # what was typed is shown, not run


TEXT_7BIT = ("Plain ASCII, short lines.\n.\nA line above holds a single dot.\n"
             "From here on, a line that starts with From.\n..\nTwo dots above.")
TEXT_QP = ("Ünïcödé — “quotes” and 中文.\n.\n" + "long line " * 150 + "end\n"
           "trailing spaces   \nthe last line")


def test_bodies_arrive_exactly_as_written_in_7bit_and_quoted_printable(app, relay):
    news = make_list()
    add_subscribers(news, people=[("ann@example.net", "Ann")])
    queue_post(news, subject="ascii", body=TEXT_7BIT)
    queue_post(news, subject="unicode", body=TEXT_QP)

    run_worker(app)

    by_subject = {d.message["Subject"]: d.message for d in relay.deliveries}
    assert by_subject["ascii"]["Content-Transfer-Encoding"] == "7bit"
    assert by_subject["unicode"]["Content-Transfer-Encoding"] == "quoted-printable"
    for subject, body in (("ascii", TEXT_7BIT), ("unicode", TEXT_QP)):
        text = content(by_subject[subject])
        assert text.startswith(body + "\n\n____"), subject
        # As it travelled: no line longer than SMTP carries, the long one wrapped.
        assert all(len(line) <= 998 for line in by_subject[subject].get_payload().splitlines())


def test_the_one_click_link_of_a_copy_unsubscribes_its_reader_at_once(app, relay, client):
    news = make_list()
    ann, bob = add_subscribers(news, people=[("ann@example.net", "Ann"),
                                             ("bob@example.net", "Bob")])
    queue_post(news, subject="First")
    run_worker(app)
    ann_copy = received(relay)["ann@example.net"][1]
    link = ann_copy["List-Unsubscribe"].split(",")[0].strip("<> ")

    # As a mail provider sends it (RFC 8058): no session, no CSRF token, no confirmation.
    response = client.post(urlsplit(link).path, data={"List-Unsubscribe": "One-Click"},
                           csrf=False)

    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscription, ann.id).status == "unsubscribed"
    assert db.session.get(Subscription, bob.id).status == "active"
    relay.deliveries.clear()
    queue_post(news, subject="Second")
    run_worker(app)
    assert set(received(relay)) == {"bob@example.net"}
