"""The LMTP server over real LMTP sessions: addresses refused at RCPT, one reply per
recipient, every message stored before its "250", failures kept and retried, malformed
input stored with a clear outcome, and the `coalition mail lmtp|inbound` commands."""

from __future__ import annotations

import signal
import smtplib
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import commands, inbound
from coalition.mail.inbound import parse_address
from coalition.mail.lmtp import serve
from coalition.mail.models import InboundKind, InboundMessage
from tests.mail.conftest import free_port
from tests.mail.fixtures_delivery import add_subscribers, coalition_process, make_list
from tests.mail.fixtures_inbound import DOMAIN, message, stored


@pytest.mark.parametrize(("recipient", "expected"), [
    (f"news@{DOMAIN}", ("news", InboundKind.POST, None)),
    ("NEWS@Lists.Coalition.TEST", ("news", InboundKind.POST, None)),
    (f"news-request@{DOMAIN}", ("news", InboundKind.REQUEST, None)),
    (f"news-bounces@{DOMAIN}", ("news", InboundKind.BOUNCE, None)),
    (f"news-bounces+AbC_12-x@{DOMAIN}", ("news", InboundKind.BOUNCE, "AbC_12-x")),
    (f"dc-cos-owner@{DOMAIN}", ("dc-cos", InboundKind.OWNER, None)),
    (f"<dc-cos@{DOMAIN}>", ("dc-cos", InboundKind.POST, None)),
    ("news@example.org", None),
    (f"news+x@{DOMAIN}", None),
    (f"news-request+x@{DOMAIN}", None),
    (f"news-bounces+@{DOMAIN}", None),
    (f"-owner@{DOMAIN}", ("-owner", InboundKind.POST, None)),  # no such list
    ("news", None),
])
def test_list_addresses_are_parsed_by_their_local_part(recipient, expected):
    parsed = parse_address(recipient, DOMAIN)
    assert (None if parsed is None else (parsed.list_name, parsed.kind, parsed.token)) == \
        expected


def test_unknown_addresses_are_refused_at_rcpt_and_nothing_is_stored(lmtp):
    make_list(name="news")
    old = make_list(name="old", display_name="Old list")
    old.is_archived = True
    db.session.commit()

    replies = lmtp.send(message(), [f"nosuch@{DOMAIN}", f"old@{DOMAIN}", "news@example.org",
                                    f"news+x@{DOMAIN}"])

    assert {r: code for r, (code, _) in replies.items()} == {
        f"nosuch@{DOMAIN}": 550, f"old@{DOMAIN}": 550, "news@example.org": 550,
        f"news+x@{DOMAIN}": 550}
    assert "5.1.1" in replies[f"nosuch@{DOMAIN}"][1]
    assert stored() == []


def test_each_recipient_gets_its_own_reply_and_its_own_stored_copy(lmtp, focal):
    news = make_list(name="news", kind="discussion")
    add_subscribers(news, people=[("ann@example.net", "Ann")])

    replies = lmtp.send(message(subject="help"), [
        f"news-request@{DOMAIN}", f"nosuch@{DOMAIN}", f"news-owner@{DOMAIN}"])

    assert replies[f"nosuch@{DOMAIN}"][0] == 550
    assert replies[f"news-request@{DOMAIN}"][0] == 250
    assert replies[f"news-owner@{DOMAIN}"][0] == 250
    rows = stored()
    assert [(row.kind, row.rcpt_to, row.status) for row in rows] == [
        ("request", f"news-request@{DOMAIN}", "handled"),
        ("owner", f"news-owner@{DOMAIN}", "handled")]
    assert all(row.raw.startswith(b"From: Ann Example") and row.size == len(row.raw)
               and row.message_id == "<m1@example.net>" and row.mail_from == "ann@example.net"
               and row.list_id == news.id for row in rows)
    assert rows[1].outcome == "forwarded to 1 focal contact(s)"


def test_a_message_whose_handling_raises_is_stored_failed_answered_250_and_retried(
        lmtp, monkeypatch, outbox, runner):
    make_list(name="news")

    def broken(*args):
        raise RuntimeError("the command parser fell over")

    monkeypatch.setattr(commands, "handle", broken)
    replies = lmtp.send(message(subject="help"), [f"news-request@{DOMAIN}"])

    assert replies[f"news-request@{DOMAIN}"][0] == 250
    [row] = stored()
    assert row.status == "failed" and row.handled_at is None
    assert row.outcome == "failed: RuntimeError: the command parser fell over"
    assert outbox() == []  # what the failed handling queued was rolled back with it

    listing = runner.invoke(args=["mail", "inbound", "--failed"])
    assert listing.exit_code == 0 and f"{row.id:>6}" in listing.output and \
        "fell over" in listing.output

    monkeypatch.undo()
    result = runner.invoke(args=["mail", "inbound", "retry", "--all-failed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    row = db.session.get(InboundMessage, row.id)
    assert row.status == "handled" and row.outcome == "help: answered ann@example.net"
    [reply] = outbox()
    assert reply["To"] == "Ann Example <ann@example.net>"
    again = runner.invoke(args=["mail", "inbound", "retry", str(row.id)])
    assert again.exit_code != 0 and "already handled" in again.output
    assert runner.invoke(args=["mail", "inbound", "retry"]).exit_code != 0


def test_a_database_that_cannot_store_answers_451_for_that_recipient(lmtp, monkeypatch):
    make_list(name="news")

    def down(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(inbound, "receive", down)
    replies = lmtp.send(message(), [f"news-owner@{DOMAIN}"])

    code, text = replies[f"news-owner@{DOMAIN}"]
    assert code == 451 and "4.3.0" in text
    monkeypatch.undo()
    assert stored() == []


def test_a_database_that_cannot_answer_at_rcpt_gets_451_not_550(lmtp, monkeypatch):
    make_list(name="news")

    def down(recipient):
        raise ConnectionError("database is down")

    monkeypatch.setattr(inbound, "list_for", down)
    replies = lmtp.send(message(), [f"news@{DOMAIN}"])

    code, text = replies[f"news@{DOMAIN}"]
    assert code == 451 and "4.3.0" in text  # the mail server tries again; nothing bounces
    monkeypatch.undo()
    assert stored() == []


@pytest.mark.parametrize("app_overrides", [{"LMTP_MAX_BYTES": 2000}])
def test_a_message_over_the_limit_is_refused_with_552(lmtp):
    make_list(name="news")

    replies = lmtp.send(message(body="x" * 5000), [f"news-owner@{DOMAIN}"])

    assert replies[f"news-owner@{DOMAIN}"][0] == 552
    assert stored() == []


@pytest.mark.parametrize(("raw", "expected"), [
    # A header line far over RFC 5322's 998 characters.
    (message(extra="X-Long: " + "a" * 20000 + "\r\n"), "forwarded to 1 focal contact(s)"),
    # A header of many words: the modern parser's time grows with the square of its
    # length, so such a message is read leniently (the sender then comes from the envelope).
    (message(extra="X-Words: " + "word " * 80_000 + "\r\n"), "forwarded to 1 focal contact(s)"),
    # Bytes that are not UTF-8, in a header and in the body.
    (b"From: J\xe9r\xf4me <jerome@example.net>\r\nSubject: caf\xe9\r\n"
     b"Content-Type: text/plain; charset=utf-8\r\n\r\nd\xe9j\xe0 vu \xff\xfe\r\n",
     "forwarded to 1 focal contact(s)"),
    # No headers at all.
    (b"\r\njust a line of text\r\n", "forwarded to 1 focal contact(s)"),
])
def test_malformed_messages_are_stored_and_handled_without_a_crash(lmtp, focal, outbox, raw,
                                                                   expected):
    make_list(name="news")

    replies = lmtp.send(raw, [f"news-owner@{DOMAIN}"])

    assert replies[f"news-owner@{DOMAIN}"][0] == 250
    [row] = stored()
    assert row.status == "handled" and row.outcome == expected
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    # Byte for byte, but for the line ends the client made CRLF (as SMTP carries them).
    assert row.raw.replace(b"\r\n", b"\n").rstrip(b"\n") == \
        raw_bytes.replace(b"\r\n", b"\n").rstrip(b"\n")
    [notice] = outbox()
    assert notice["To"].addresses[0].addr_spec == focal.email


def test_malformed_commands_and_bounces_have_a_clear_outcome(lmtp):
    make_list(name="news")
    raw = b"\r\n\xff\xfe garbage\r\n"

    lmtp.send(raw, [f"news-request@{DOMAIN}", f"news-bounces@{DOMAIN}"])

    outcomes = {row.kind: (row.status, row.outcome) for row in stored()}
    assert outcomes == {
        "request": ("handled", "no command: answered ann@example.net"),
        "bounce": ("handled", "not a delivery status notification")}


def test_the_lmtp_command_serves_until_sigterm(database_url, relay, tmp_path, app):
    make_list(name="news")
    port = free_port()
    process = coalition_process(database_url, relay, tmp_path, "mail", "lmtp", "--port",
                                str(port))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client = smtplib.LMTP("127.0.0.1", port, local_hostname="mx.test", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        with client:
            client.ehlo_or_helo_if_needed()
            client.mail("ann@example.net")
            assert client.rcpt(f"nosuch@{DOMAIN}")[0] == 550
            assert client.rcpt(f"news-request@{DOMAIN}")[0] == 250
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
        assert process.returncode == 0, output
        assert f"LMTP server on 127.0.0.1:{port}" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_mail_to_the_owners_is_forwarded_to_the_focal_contacts_as_an_attachment(
        lmtp, focal, outbox, create_user):
    make_list(name="news", display_name="Coalition News")
    # A focal contact whose address is itself a list's owner address gets no copy (a loop).
    looping = create_user(email="loop@example.org", name="Loop", role="focal_contact")
    looping.email = f"news-owner@{DOMAIN}"  # (the form would refuse the test domain)
    db.session.commit()

    replies = lmtp.send(message(sender="Dave <dave@elsewhere.example>",
                                to=f"news-owner@{DOMAIN}", subject="A question",
                                body="Who runs this list?\n"),
                        [f"news-owner@{DOMAIN}"], sender="dave@elsewhere.example")

    assert replies[f"news-owner@{DOMAIN}"][0] == 250
    [notice] = outbox()
    assert [a.addr_spec for a in notice["To"].addresses] == [focal.email]
    assert notice["Subject"].strip() == \
        "Coalition News: for the owners, from dave@elsewhere.example"
    assert notice["Reply-To"].addresses[0].addr_spec == "dave@elsewhere.example"
    assert notice["Sender"].addresses[0].addr_spec == f"news-bounces@{DOMAIN}"
    assert notice["X-Coalition-Owner-Forward"] == "news"
    text, attached = list(notice.iter_parts())
    assert "Dave <dave@elsewhere.example> wrote to the owners" in text.get_content()
    assert attached.get_content_type() == "message/rfc822"
    original = attached.get_content()
    assert original["Subject"] == "A question"
    assert "Who runs this list?" in original.get_body().get_content()
    [row] = stored()
    assert row.outcome == "forwarded to 1 focal contact(s)"


def test_our_own_forward_coming_back_to_the_owners_is_not_forwarded_again(lmtp, focal,
                                                                          outbox):
    make_list(name="news")

    lmtp.send(message(to=f"news-owner@{DOMAIN}", extra="X-Coalition-Owner-Forward: news\r\n"),
              [f"news-owner@{DOMAIN}"])

    assert outbox() == []
    [row] = stored()
    assert row.outcome == "not forwarded: it is one of our own forwards coming back (a loop)"


def test_the_inbound_listing_says_when_there_is_nothing(runner, app):
    assert runner.invoke(args=["mail", "inbound"]).output == "No messages received yet.\n"
    assert runner.invoke(args=["mail", "inbound", "--failed"]).output == \
        "No failed messages.\n"
    missing = runner.invoke(args=["mail", "inbound", "retry", "999"])
    assert missing.exit_code != 0 and "No message 999" in missing.output


def test_a_message_stored_but_left_unhandled_is_handled_when_the_server_starts(app, outbox):
    """The server stopped between storing a message and handling it: the next start
    handles it (a message that arrived a moment ago may be in another server's hands)."""
    news = make_list(name="news")
    raw = message(subject="help").encode()
    address = f"news-request@{DOMAIN}"
    old = inbound.receive(raw, "ann@example.net", address, news, InboundKind.REQUEST,
                          now=utcnow() - timedelta(minutes=10))
    new = inbound.receive(raw, "ann@example.net", address, news, InboundKind.REQUEST)
    db.session.commit()

    stop = threading.Event()
    stop.set()  # start, recover, stop at once
    serve(app, "127.0.0.1", free_port(), stop)

    db.session.expire_all()
    assert db.session.get(InboundMessage, old.id).status == "handled"
    assert db.session.get(InboundMessage, new.id).status == "received"
    [reply] = outbox()
    assert reply["To"] == "Ann Example <ann@example.net>"


def test_a_left_over_message_in_another_servers_hands_is_not_handled_twice(app, backend,
                                                                            outbox):
    """PostgreSQL: a server recovering left-over messages skips one another server is
    handling right now (its row is locked), and handles nothing twice."""
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer at a time)")
    news = make_list(name="news")
    old = inbound.receive(message(subject="help").encode(), "ann@example.net",
                          f"news-request@{DOMAIN}", news, InboundKind.REQUEST,
                          now=utcnow() - timedelta(minutes=10))
    db.session.commit()

    with db.engine.connect() as other:  # the other server, mid-handling
        other.execute(select(InboundMessage.id).where(InboundMessage.id == old.id)
                      .with_for_update())
        assert inbound.recover() == 0
    assert inbound.recover() == 1
    assert inbound.recover() == 0
    db.session.expire_all()
    assert db.session.get(InboundMessage, old.id).status == "handled"
    assert len(outbox()) == 1
