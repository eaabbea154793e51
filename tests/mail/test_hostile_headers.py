"""Hostile headers never stop delivery or lose a message: a received post whose ids or
addresses the `email` package cannot write goes out to every subscriber with those left
out (and an id of ours); a post that cannot be built at all fails only its own copies; no
control character or over-long value reaches the database (PostgreSQL refuses NUL); and
a huge header in a nested part is read leniently whatever address it came to."""

from __future__ import annotations

import base64
import logging
import mailbox
from email.message import EmailMessage
from email.policy import SMTP
from random import Random

import pytest
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail import delivery as delivery_module
from coalition.mail import inbound, listmail, threads
from coalition.mail.incoming import MAX_HEADER_CHARS
from coalition.mail.incoming import parse as parse_incoming
from coalition.mail.models import (
    Attachment,
    BounceEvent,
    Delivery,
    InboundMessage,
    Subscription,
)
from tests.mail.fixtures_delivery import (
    add_subscribers,
    make_list,
    queue_post,
    run_worker,
    smtp_settings,
)
from tests.mail.fixtures_inbound import DOMAIN, LIST, SUBSCRIBERS, message, post_from, stored
from tests.mail.test_dsn import dsn

# Addresses the email package parses but cannot write back (found by fuzzing).
UNWRITABLE = ['"x)@[y', '"a;@[', '"x>@\\[)']


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay)


@pytest.fixture
def news():
    news = make_list(name="news", display_name="Coalition News", kind="discussion",
                     posting_policy="subscribers", archive_visibility="public")
    add_subscribers(news, people=SUBSCRIBERS)
    return news


def copies(relay, subject: str) -> list:
    return [d for d in relay.deliveries if subject in str(d.message["Subject"])]


def test_unsafe_ids_and_unwritable_addresses_still_reach_every_subscriber(
        app, lmtp, relay, news, anonymous, tmp_path):
    hostile = [
        # A non-ASCII id, threading headers the email package would cut short or refuse.
        ("Accented id", "<été@example.net>",
         "In-Reply-To: <a,b@example.net>\r\nReferences: <ü@x.example> <root@example.net>\r\n"
         f"Cc: Dan <dan@example.net>, {UNWRITABLE[0]}\r\n"),
        # An id with characters that end a token; addresses it cannot fold everywhere.
        ("Quoted id", '<a"b(c)@example.net>',
         f"Cc: {UNWRITABLE[1]}\r\nReply-To: {UNWRITABLE[2]}, ann@example.net\r\n"),
        ("Encoded word id", "<x=?utf-8?q?y?=@example.net>", ""),
    ]
    for subject, message_id, extra in hostile:
        to = f"Coalition News <{LIST}>, {UNWRITABLE[0]}"
        replies = lmtp.send(message(sender="Ann <ann@example.net>", to=to, subject=subject,
                                    message_id=message_id, extra=extra), [LIST])
        assert replies[LIST][0] == 250
    rows = stored()
    assert [row.outcome.split(" as post")[0] for row in rows] == \
        ["posted to 3 subscriber(s)"] * 3
    posts = [post_from(row.id) for row in rows]
    for post in posts:  # ours, as the sender's could not be written back
        assert threads.is_safe(post.message_id) and post.message_id.endswith(f"@{DOMAIN}>")
    assert posts[0].in_reply_to is None and posts[0].references == "<root@example.net>"

    tally = run_worker(app)
    assert (tally.sent, tally.failed) == (9, 0)
    for post, (subject, _, _) in zip(posts, hostile, strict=True):
        sent = copies(relay, subject)
        assert sorted(r for d in sent for r in d.rcpt_tos) == sorted(e for e, _ in SUBSCRIBERS)
        for copy in sent:
            assert copy.message["Message-ID"] == post.message_id
            headers = "".join(f"{k}: {v}\n" for k, v in copy.message.items())
            assert "x)" not in headers and "a;@" not in headers and "x>@" not in headers
    [first] = [d for d in copies(relay, "Accented id") if d.rcpt_tos == ["bob@example.net"]]
    assert first.message["References"] == "<root@example.net>"
    assert "In-Reply-To" not in first.message
    assert "dan@example.net" in str(first.message["Cc"])
    assert str(first.message["To"]) == f"Coalition News <{LIST}>"

    # The month's public mbox, read by anyone, holds the three posts.
    when = posts[0].queued_at
    response = anonymous.get(f"/lists/news/archive/{when:%Y-%m}.mbox")
    assert response.status_code == 200
    path = tmp_path / "month.mbox"
    path.write_bytes(response.data)
    box = mailbox.mbox(str(path))
    try:
        assert sorted(str(m["Subject"]) for m in box) == sorted(s for s, _, _ in hostile)
    finally:
        box.close()


def test_a_post_that_cannot_be_built_fails_alone_and_the_worker_goes_on(
        app, relay, news, monkeypatch, caplog):
    broken = queue_post(news, subject="Cannot be built")
    fine = queue_post(news, subject="Goes out")
    real = delivery_module.PostMessage

    def builder(post, test=False):
        if post.id == broken.id:
            raise UnicodeEncodeError("ascii", "é", 0, 1, "made up by the test")
        return real(post, test=test)

    monkeypatch.setattr(delivery_module, "PostMessage", builder)
    with caplog.at_level(logging.ERROR, logger="coalition.mail.delivery"):
        tally = run_worker(app)
    assert (tally.sent, tally.failed) == (3, 3)
    assert sorted(r for d in copies(relay, "Goes out") for r in d.rcpt_tos) == \
        sorted(e for e, _ in SUBSCRIBERS)
    assert copies(relay, "Cannot be built") == []
    db.session.expire_all()
    rows = db.session.scalars(select(Delivery).where(Delivery.post_id == broken.id)).all()
    assert {row.status for row in rows} == {"failed"}
    assert all(row.last_reply.startswith("could not build the message: UnicodeEncodeError")
               for row in rows)
    assert {row.status for row in db.session.scalars(
        select(Delivery).where(Delivery.post_id == fine.id))} == {"sent"}
    # The message's fault, not the subscribers': no bounce counted.
    assert db.session.scalars(select(BounceEvent)).all() == []
    assert {s.bounce_score for s in db.session.scalars(select(Subscription))} == {0.0}
    assert f"post {broken.id} cannot be built" in caplog.text


def test_control_characters_and_long_values_never_reach_the_database(app, lmtp, news):
    pdf = base64.b64encode(b"%PDF-1.4 a file").decode()
    attached = message(
        sender="Ann\x01 Example <ann@example.net>", to=LIST, subject="With a file",
        message_id="<a\x00b@example.org>",
        extra="").replace(
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHello everyone.\n",
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        "Content-Type: text/plain\r\n\r\nSee the file.\r\n--B\r\n"
        "Content-Type: application/pd\x00f\r\n"
        'Content-Disposition: attachment; filename="re\x00port.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--B--\r\n")
    long_sender = "a" * 300 + "@example.net"
    assert lmtp.send(attached, [LIST])[LIST][0] == 250
    assert lmtp.send(message(sender=f"<{long_sender}>", to=LIST, subject="Long",
                             message_id="<long@example.net>"), [LIST],
                     sender=long_sender)[LIST][0] == 250
    request = f"news-request@{DOMAIN}"
    assert lmtp.send(message(sender="Ann <ann@example.net>", to=request,
                             subject="help\x00 me\x07", message_id="<req\x00@example.net>"),
                     [request])[request][0] == 250
    [ann] = db.session.scalars(select(Subscription).where(
        Subscription.email == "ann@example.net")).all()
    bounces = f"news-bounces+{ann.token}@{DOMAIN}"
    assert lmtp.send(dsn("ann@example.net", diagnostic="smtp; 550 no\x00 such\x01 user"),
                     [bounces], sender="")[bounces][0] == 250

    rows = stored()
    assert [row.status for row in rows] == ["handled"] * 4
    assert rows[0].message_id == "<ab@example.org>"
    assert rows[2].message_id == "<req@example.net>"
    for row in rows:
        assert not any(c in (row.outcome + (row.message_id or "")) for c in "\x00\x01\x07")
    with_file = post_from(rows[0].id)
    assert with_file.status == "queued" and with_file.sender_name == "Ann Example"
    [item] = db.session.scalars(select(Attachment)).all()
    assert item.content_type == "application/octet-stream" and "\x00" not in item.filename
    long = post_from(rows[1].id)
    assert long.sender_name == "a" * 200 and len(long.sender_email) <= 254
    [event] = db.session.scalars(select(BounceEvent)).all()
    assert "\x00" not in event.reply and "\x01" not in event.reply and "no such" in event.reply


def nested_huge(to: str) -> bytes:
    """A message whose second part has a Content-Type header longer than MAX_HEADER_CHARS."""
    params = "".join(f'; p{n}="v"' for n in range(2_500))
    assert len(params) > MAX_HEADER_CHARS
    return (f"From: Ann <ann@example.net>\r\nTo: {to}\r\nSubject: help\r\n"
            "Message-ID: <huge@example.net>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nhelp\r\n"
            f"--B\r\nContent-Type: text/plain{params}\r\n\r\nmore\r\n--B--\r\n").encode()


def test_a_huge_header_in_a_nested_part_is_read_leniently():
    raw = nested_huge(LIST)
    read = inbound.parse(raw)
    assert not hasattr(read, "get_body")  # the lenient (compat32) reading
    # Read leniently, its text is still there (a command in it is not lost), and its
    # sender too.
    assert inbound.text_body(read).strip() == "help"
    assert inbound.sender_of(read, "") == ("Ann", "ann@example.net")
    assert "read leniently" in " ".join(parse_incoming(raw).defects)


def test_a_request_or_bounce_with_a_huge_nested_header_is_handled(app, lmtp, news):
    request, bounces = f"news-request@{DOMAIN}", f"news-bounces@{DOMAIN}"
    assert lmtp.send(nested_huge(request), [request])[request][0] == 250
    assert lmtp.send(nested_huge(bounces), [bounces], sender="")[bounces][0] == 250
    rows = stored()
    assert [row.status for row in rows] == ["handled", "handled"]
    assert all(row.outcome for row in rows)
    assert db.session.scalars(select(InboundMessage)).all()


def test_a_stored_post_with_an_unwritable_id_still_gives_the_month_mbox(
        app, news, anonymous, tmp_path):
    """Posts stored before received ids were checked may carry any id."""
    post = queue_post(news, subject="Stored long ago")
    post.message_id, post.in_reply_to = "<été@example.net>", "<a,b@example.net>"
    post.references = "<ü@x.example> <root@example.net>"
    db.session.commit()
    response = anonymous.get(f"/lists/news/archive/{post.queued_at:%Y-%m}.mbox")
    assert response.status_code == 200
    path = tmp_path / "month.mbox"
    path.write_bytes(response.data)
    box = mailbox.mbox(str(path))
    try:
        [read] = list(box)
    finally:
        box.close()
    assert read["Message-ID"] == f"<archive-{post.id}@{DOMAIN}>"
    assert read["References"] == "<root@example.net>" and "In-Reply-To" not in read


def test_odd_addresses_are_written_or_left_out_never_raise():
    """Fuzzed From, To and Cc values: each address kept is one the email package writes."""
    random = Random(8)
    alphabet = '"()@[]<>,;:\\. axé=?'
    for _ in range(1500):
        value = "".join(random.choice(alphabet) for _ in range(random.randint(1, 12)))
        for kept in listmail._addresses(f"{value}, Dan <dan@example.net>"):
            check = EmailMessage()
            check["Cc"] = [kept]
            check.as_bytes(policy=SMTP)
        read = parse_incoming(f"From: {value} <ann@example.net>\r\n\r\nx".encode())
        if read.sender_email:
            sender = listmail._sender_address(read.sender_name, read.sender_email)
            check = EmailMessage()
            check["From"] = sender
            check.as_bytes(policy=SMTP)
