"""Posts received by e-mail as subscribers receive them (through the outbox, the worker and
a real relay), parsed back with the `email` package: the sender's own message, with the
list's headers and footer, attachments kept or stripped, and "Name via List" where the
sender's domain publishes a strict DMARC policy (a real DNS server)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import dmarc, rules
from coalition.mail.models import InboundMessage, MailingList, Post, SenderRule
from tests.mail.fixtures_delivery import add_subscribers, make_list, run_worker, smtp_settings
from tests.mail.test_dmarc import RECORDS, DnsServer

DOMAIN = "lists.coalition.test"
PDF = b"%PDF-1.4 not really\n"


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer(RECORDS)
    dmarc.clear_cache()
    yield server
    server.close()
    dmarc.clear_cache()


@pytest.fixture
def app_overrides(relay, dns_server) -> dict:
    return smtp_settings(relay, BASE_URL="https://coalition.test",
                         DNS_NAMESERVER=dns_server.address)


@pytest.fixture
def discuss(app) -> MailingList:
    mailing_list = make_list(name="discuss", display_name="Discussion", kind="discussion",
                             posting_policy="subscribers", subject_prefix="[Disc]",
                             reply_to="sender", footer="Be kind.")
    add_subscribers(mailing_list, people=[
        ("ann@relaxed.org", "Ann"), ("sam@strict-sender.org", "Sam"),
        ("reader@example.net", "Reader")])
    return mailing_list


def post_by_mail(mailing_list: MailingList, raw: bytes) -> Post:
    inbound = InboundMessage(rcpt_to=f"{mailing_list.name}@{DOMAIN}", list_id=mailing_list.id,
                             kind="post", raw=raw, size=len(raw),
                             mail_from="sender@example.net")  # empty: a daemon's, dropped
    db.session.add(inbound)
    db.session.flush()
    outcome = rules.receive(mailing_list, inbound, utcnow())
    db.session.commit()
    assert outcome.startswith("posted"), outcome
    return db.session.scalar(select(Post).where(Post.inbound_id == inbound.id))


def reader_copy(app, relay) -> EmailMessage:
    """The copy the reader received (one per subscriber went out)."""
    run_worker(app)
    assert len(relay.deliveries) == 3
    return next(d.message for d in relay.deliveries if d.rcpt_tos == ["reader@example.net"])


def lines(part) -> str:
    return part.get_content().replace("\r\n", "\n")


def test_a_plain_text_post_keeps_its_sender_and_gets_the_footer(app, relay, discuss):
    raw = ("From: Ann <ann@relaxed.org>\r\nTo: Discussion <discuss@lists.coalition.test>\r\n"
           "Cc: Guest <guest@example.org>\r\nSubject: Re: [Disc] Agenda\r\n"
           "Message-ID: <agenda-2@relaxed.org>\r\nIn-Reply-To: <agenda-1@relaxed.org>\r\n"
           "Date: Sun, 22 Nov 2026 10:00:00 +0100\r\nUser-Agent: Mutt/2.2\r\n"
           "Received: from laptop.internal (10.0.0.7)\r\nReturn-Path: <ann@relaxed.org>\r\n"
           "DKIM-Signature: v=1; a=rsa-sha256; d=relaxed.org; b=abc\r\n"
           "List-Id: Elsewhere <elsewhere.example.org>\r\nX-Secret-Header: keep out\r\n"
           "Content-Type: text/plain; charset=iso-8859-1\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n"
           "Grüße, see you at the meeting.\r\n").encode("latin-1")
    post = post_by_mail(discuss, raw)
    message = reader_copy(app, relay)
    assert message["From"] == "Ann <ann@relaxed.org>"
    assert message["Reply-To"] is None  # the sender's own From answers
    assert message["To"] == "Discussion <discuss@lists.coalition.test>"
    assert message["Cc"] == "Guest <guest@example.org>"
    assert message["Subject"] == "[Disc] Re: Agenda"  # the prefix once, in front
    assert message["Message-ID"] == "<agenda-2@relaxed.org>" == post.message_id
    assert message["In-Reply-To"] == "<agenda-1@relaxed.org>"
    assert message["Date"] == "Sun, 22 Nov 2026 10:00:00 +0100"
    assert message["User-Agent"] == "Mutt/2.2"
    assert message["List-Id"] == f"Discussion <discuss.{DOMAIN}>"
    assert message["Archived-At"].startswith(
        f"<https://coalition.test/lists/discuss/archive/{post.id}")
    assert message["List-Unsubscribe"].startswith("<https://coalition.test/lists/unsubscribe/")
    for dropped in ("Received", "Return-Path", "DKIM-Signature", "X-Secret-Header"):
        assert message[dropped] is None, dropped
    assert message.get_content_type() == "text/plain"  # not wrapped: the footer is appended
    text = lines(message)
    assert text.startswith("Grüße, see you at the meeting.\n\n")
    assert "Be kind.\nUnsubscribe: https://coalition.test/lists/unsubscribe/" in text


def test_a_strict_dmarc_sender_is_sent_as_name_via_list(app, relay, discuss):
    raw = (b"From: Sam Strict <Sam@Strict-Sender.org>\r\nTo: discuss@lists.coalition.test\r\n"
           b"Subject: Hello\r\nMessage-ID: <s1@strict-sender.org>\r\n\r\nHi all\r\n")
    post_by_mail(discuss, raw)
    message = reader_copy(app, relay)
    assert message["From"] == "Sam Strict via Discussion <discuss@lists.coalition.test>"
    assert message["Reply-To"] == "Sam Strict <sam@strict-sender.org>"
    assert message["Cc"] is None


def test_with_replies_to_the_list_the_strict_sender_goes_in_cc(app, relay, discuss):
    discuss.reply_to = "list"
    db.session.add(SenderRule(list_id=discuss.id, email="sam@mail.strict-sender.org",
                              action="accept"))
    db.session.commit()
    raw = (b"From: Sam Strict <sam@mail.strict-sender.org>\r\nSubject: Hello\r\n"
           b"Message-ID: <s2@strict-sender.org>\r\n\r\nHi all\r\n")
    post_by_mail(discuss, raw)
    message = reader_copy(app, relay)
    assert message["From"] == "Sam Strict via Discussion <discuss@lists.coalition.test>"
    assert message["Reply-To"] == "Discussion <discuss@lists.coalition.test>"
    assert message["Cc"] == "Sam Strict <sam@mail.strict-sender.org>"
    assert message["To"] == "Discussion <discuss@lists.coalition.test>"


def with_attachment(message_id: str) -> bytes:
    return (f"From: Ann <ann@relaxed.org>\r\nSubject: The report\r\n"
            f"Message-ID: <{message_id}@relaxed.org>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
            "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
            "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe report.\r\n"
            "--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>The <b>report</b>.</p><script>alert(1)</script>\r\n--inner--\r\n"
            "--outer\r\nContent-Type: application/pdf\r\n"
            "Content-Disposition: attachment; filename=report.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(PDF).decode()}\r\n--outer--\r\n").encode()


def test_a_multipart_post_is_wrapped_with_its_attachment_and_a_footer_part(app, relay, discuss):
    post_by_mail(discuss, with_attachment("a1"))
    message = reader_copy(app, relay)
    assert message.get_content_type() == "multipart/mixed"
    original, footer = message.get_payload()
    assert original.get_content_type() == "multipart/mixed"
    files = [part for part in original.walk() if part.get_filename()]
    assert [(f.get_filename(), f.get_content_type(), f.get_content()) for f in files] == [
        ("report.pdf", "application/pdf", PDF)]
    # The sender's HTML goes as received (mail programs run no scripts).
    html = next(p for p in original.walk() if p.get_content_type() == "text/html")
    assert "<script>alert(1)</script>" in html.get_content()
    assert footer.get_content_type() == "text/plain"
    assert lines(footer).startswith("_" * 47 + "\nDiscussion <discuss@lists.coalition.test>")
    assert "Unsubscribe: https://coalition.test/lists/unsubscribe/" in lines(footer)


def test_stripped_attachments_are_not_sent_and_the_footer_says_so(app, relay, discuss):
    discuss.attachment_policy = "strip"
    db.session.commit()
    post_by_mail(discuss, with_attachment("a2"))
    message = reader_copy(app, relay)
    assert not any(part.get_filename() for part in message.walk())
    assert not any(part.get_content_type() == "application/pdf" for part in message.walk())
    footer = message.get_payload()[-1]
    assert lines(footer).startswith("[The list removed 1 attachment(s): report.pdf (1 KB)]")
    plain = message.get_body(("plain",))
    assert lines(plain).startswith("The report.")


def test_an_html_only_post_is_wrapped(app, relay, discuss):
    raw = (b"From: Ann <ann@relaxed.org>\r\nSubject: Styled\r\nMessage-ID: <h@relaxed.org>\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <i>all</i></p>\r\n")
    post = post_by_mail(discuss, raw)
    assert post.body == "Hello all"
    message = reader_copy(app, relay)
    original, footer = message.get_payload()
    assert original.get_content_type() == "text/html"
    assert original.get_content().strip() == "<p>Hello <i>all</i></p>"
    assert "Unsubscribe:" in lines(footer)


def test_a_text_in_a_wrong_charset_is_wrapped_unchanged(app, relay, discuss):
    raw = (b"From: Ann <ann@relaxed.org>\r\nSubject: Bytes\r\nMessage-ID: <w@relaxed.org>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"caf\xe9 au lait\r\n")
    post_by_mail(discuss, raw)
    message = reader_copy(app, relay)
    original, _ = message.get_payload()
    assert original.get_payload(decode=True).startswith(b"caf\xe9 au lait")


def test_web_posts_still_come_from_the_list(app, relay, discuss, focal):
    from tests.mail.fixtures_delivery import queue_post

    queue_post(discuss, focal, subject="From the web")
    message = reader_copy(app, relay)
    assert message["From"] == "Fatima Focal via Discussion <discuss@lists.coalition.test>"
    assert message["Subject"] == "[Disc] From the web"


def test_a_sender_without_a_name_stays_without_one(app, relay, discuss):
    post = post_by_mail(discuss, b"From: ann@relaxed.org\r\nSubject: Hi\r\n\r\nHi\r\n")
    assert post.sender_name == "ann"  # what the archive shows
    assert reader_copy(app, relay)["From"] == "ann@relaxed.org"


def test_a_message_that_is_only_a_file_is_sent_as_the_note_when_stripped(app, relay, discuss):
    discuss.attachment_policy = "strip"
    db.session.commit()
    raw = (b"From: ann@relaxed.org\r\nSubject: Scan\r\nMessage-ID: <scan@relaxed.org>\r\n"
           b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=s.pdf"
           b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.b64encode(PDF) + b"\r\n")
    post = post_by_mail(discuss, raw)
    assert post.body == "[The list removed 1 attachment(s): s.pdf (1 KB)]"
    message = reader_copy(app, relay)
    assert message.get_content_type() == "text/plain"
    assert lines(message).startswith("[The list removed 1 attachment(s): s.pdf (1 KB)]\n")
    assert b"%PDF" not in message.as_bytes()


def test_an_internationalised_sender_address_is_sent_from_the_list(app, relay, discuss):
    db.session.add(SenderRule(list_id=discuss.id, email="josé@relaxed.org", action="accept"))
    db.session.commit()
    post_by_mail(discuss, "From: José <josé@relaxed.org>\r\nSubject: Hola\r\n"
                          "Message-ID: <idn@relaxed.org>\r\n\r\nHola\r\n".encode())
    message = reader_copy(app, relay)
    assert message["From"] == "José via Discussion <discuss@lists.coalition.test>"
    assert message["Reply-To"] is None and message["Cc"] is None
