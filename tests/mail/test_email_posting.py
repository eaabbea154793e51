"""End to end, as the issue's "done when" says: a member's e-mail to the list, handed over
by LMTP, reaches every subscriber through the outbox and appears in the archive thread; a
non-member's is held, and once a focal contact approves it, does the same."""

from __future__ import annotations

import pytest
from flask import url_for

from coalition.extensions import db
from coalition.mail import moderation
from coalition.mail.models import Post
from tests.mail.fixtures_delivery import add_subscribers, make_list, run_worker, smtp_settings
from tests.mail.fixtures_inbound import DOMAIN, LIST, SUBSCRIBERS, message, post_from, stored


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay)


@pytest.fixture
def news():
    news = make_list(name="news", display_name="Coalition News", kind="discussion",
                     posting_policy="subscribers", archive_visibility="public")
    add_subscribers(news, people=SUBSCRIBERS)
    return news


def received_by(relay, subject: str) -> set[str]:
    return {address.lower() for delivery in relay.deliveries
            if subject in str(delivery.message["Subject"]) for address in delivery.rcpt_tos}


def permalink(app, post: Post) -> str:
    with app.test_request_context():
        return url_for("lists.archived_post", name=post.mailing_list.name, post_id=post.id)


def test_a_subscribers_email_reaches_every_subscriber_and_the_archive_thread(
        app, lmtp, relay, news, anonymous):
    replies = lmtp.send(message(sender="Ann <ann@example.net>", to=LIST,
                                subject="Agenda for Tuesday",
                                body="Shall we start with the budget?\n",
                                message_id="<agenda@example.net>"), [LIST])
    assert replies[LIST][0] == 250
    [row] = stored()
    first = post_from(row.id)
    assert row.outcome.startswith(f"posted to 3 subscriber(s) as post {first.id}")

    run_worker(app)
    assert received_by(relay, "Agenda for Tuesday") == {e for e, _ in SUBSCRIBERS}
    [copy] = [d for d in relay.deliveries if d.rcpt_tos == ["bob@example.net"]]
    assert copy.message["Message-ID"] == "<agenda@example.net>"
    assert "Shall we start with the budget?" in copy.message.get_body(
        preferencelist=("plain",)).get_content()

    # Bob answers from his mail program: the reply joins the thread.
    lmtp.send(message(sender="Bob <bob@example.net>", to=LIST, subject="Re: Agenda for Tuesday",
                      body="Yes, the budget first.\n", message_id="<reply@example.net>",
                      extra="In-Reply-To: <agenda@example.net>\r\n"), [LIST],
              sender="bob@example.net")
    reply = post_from(stored()[-1].id)
    assert (reply.parent_id, reply.thread_id) == (first.id, first.id)
    run_worker(app)
    assert received_by(relay, "Re: Agenda for Tuesday") == {e for e, _ in SUBSCRIBERS}

    page = anonymous.get(permalink(app, first))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Agenda for Tuesday" in text and "Shall we start with the budget?" in text
    thread = anonymous.get(permalink(app, reply)).get_data(as_text=True)
    assert "Yes, the budget first." in thread


def test_a_non_members_email_is_held_and_on_approval_reaches_everyone(
        app, lmtp, relay, news, focal, anonymous):
    replies = lmtp.send(message(sender="Dave <dave@elsewhere.example>", to=LIST,
                                subject="May I join your meeting?",
                                body="I work on the same topic.\n",
                                message_id="<dave@elsewhere.example>"), [LIST],
                        sender="dave@elsewhere.example")
    assert replies[LIST][0] == 250
    [row] = stored()
    held = post_from(row.id)
    assert held.status == "held" and row.outcome.startswith("held for moderation")
    # The moderators and the sender are told; no subscriber has it yet.
    assert received_by(relay, "May I join your meeting?") == set()
    told = {address for delivery in relay.deliveries for address in delivery.rcpt_tos}
    assert {focal.email, "dave@elsewhere.example"} <= told
    assert anonymous.get(permalink(app, held)).status_code == 404

    moderation.approve(focal, held)
    db.session.commit()
    run_worker(app)

    assert received_by(relay, "May I join your meeting?") == {e for e, _ in SUBSCRIBERS}
    page = anonymous.get(permalink(app, held))
    assert page.status_code == 200 and "I work on the same topic." in page.get_data(as_text=True)


HEAD = ("From: Ann <ann@example.net>\r\nTo: news@" + DOMAIN + "\r\n"
        "Message-ID: <hostile@example.net>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n")
HOSTILE = {
    # A multipart whose boundary never comes: the whole body is one broken part.
    "malformed MIME": (HEAD + "Subject: Broken structure\r\n"
                       "Content-Type: multipart/mixed; boundary=\"nowhere\"\r\n\r\n"
                       "Text before any boundary.\r\n--elsewhere\r\nstray\r\n").encode(),
    "huge header": (HEAD + "Subject: Long header\r\nX-Long: " + "a" * 60_000 + "\r\n"
                    "Content-Type: text/plain\r\n\r\nAfter a long header.\r\n").encode(),
    "non-UTF-8 charset": (HEAD + "Subject: =?iso-8859-1?q?R=E9union?=\r\n"
                          "Content-Type: text/plain; charset=iso-8859-1\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
    + "Réunion à Genève.\r\n".encode("latin-1"),
    "a PDF that is not one": (HEAD + "Subject: The report\r\n"
                              "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                              "--b\r\nContent-Type: text/plain\r\n\r\nThe report.\r\n"
                              "--b\r\nContent-Type: application/pdf\r\n"
                              "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
                              "\r\n<html><script>alert(1)</script></html>\r\n--b--\r\n"
                              ).encode(),
    "HTML with a script": (HEAD + "Subject: Rich text\r\n"
                           "Content-Type: text/html; charset=utf-8\r\n\r\n"
                           "<p onclick=\"steal()\">Hello <b>all</b></p>"
                           "<script>document.title='owned'</script>\r\n").encode(),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_messages_are_stored_posted_delivered_and_archived_safely(
        app, lmtp, relay, news, anonymous, kind):
    raw = HOSTILE[kind]
    replies = lmtp.send(raw, [LIST])

    assert replies[LIST][0] == 250
    [row] = stored()
    assert row.status == "handled" and row.outcome.startswith("posted to 3 subscriber(s)")
    assert row.raw.replace(b"\r\n", b"\n").rstrip() == raw.replace(b"\r\n", b"\n").rstrip()
    post = post_from(row.id)

    tally = run_worker(app)
    assert (tally.sent, tally.failed) == (3, 0)
    assert received_by(relay, post.subject) == {e for e, _ in SUBSCRIBERS}

    page = anonymous.get(permalink(app, post))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text and "<script>document" not in text
    assert 'onclick="steal' not in text
    for attachment in post.attachments:
        download = anonymous.get(permalink(app, post) + f"files/{attachment.position}/"
                                 f"{attachment.filename}")
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert download.headers["Content-Disposition"].startswith("attachment")
    if kind == "non-UTF-8 charset":
        assert "Réunion à Genève." in text and post.subject == "Réunion"
    if kind == "HTML with a script":
        assert "Hello all" in post.body and "owned" not in post.body
    if kind == "a PDF that is not one":
        assert [a.filename for a in post.attachments] == ["report.pdf"]
