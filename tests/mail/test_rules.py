"""The posting rules on real databases: each rule decides what becomes of a stored message,
and the people concerned (subscribers, the sender, the moderators) see the result."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select, update

from coalition.audit.models import AuditEvent
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import inbound as inbound_mail
from coalition.mail import rules, services
from coalition.mail.listmail import PostMessage
from coalition.mail.models import (
    Attachment,
    Delivery,
    InboundKind,
    MailingList,
    Post,
    SenderRule,
    Subscription,
)
from tests.factories import make_member
from tests.mail.fixtures_delivery import SYSTEM, add_subscribers, make_list, smtp_settings

DOMAIN = "lists.coalition.test"
SUBSCRIBERS = [("ann@example.net", "Ann Example"), ("bob@example.net", "Bob Example")]


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay)


@pytest.fixture
def discuss(app, focal) -> MailingList:
    mailing_list = make_list(name="discuss", display_name="Discussion", kind="discussion",
                             posting_policy="subscribers")
    add_subscribers(mailing_list, people=SUBSCRIBERS)
    return mailing_list


def mail(sender: str = "Ann Example <Ann@Example.net>", subject: str = "Hello",
         body: str = "Hello everyone.\r\n", extra: str = "",
         message_id: str = "<m1@example.net>", content_type: str = "text/plain") -> bytes:
    return (f"From: {sender}\r\nTo: discuss@{DOMAIN}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: {content_type}; charset=utf-8\r\n\r\n"
            f"{body}").encode()


def receive(mailing_list: MailingList, raw: bytes,
            mail_from: str = "sender@example.net") -> tuple[str, Post]:
    """What the LMTP server does: store the message, then apply the rules, then commit."""
    inbound = inbound_mail.receive(raw, mail_from, f"{mailing_list.name}@{DOMAIN}",
                                   mailing_list, InboundKind.POST)
    outcome = rules.receive(mailing_list, inbound, utcnow())
    db.session.commit()
    return outcome, db.session.scalar(select(Post).where(Post.inbound_id == inbound.id))


def copies(post: Post) -> set[str]:
    return set(db.session.scalars(select(Delivery.email).where(Delivery.post_id == post.id)))


def notices(relay) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for delivery in relay.deliveries:
        for address in delivery.rcpt_tos:
            found.setdefault(address, []).append(str(delivery.message["Subject"]))
    return found


def test_a_subscriber_posts_to_every_subscriber_and_the_archive(discuss, relay):
    outcome, post = receive(discuss, mail())
    assert outcome.startswith("posted to 2 subscriber(s)")
    assert post.status == "queued" and post.source == "email" and post.queued_at
    assert post.thread_id == post.id and post.parent_id is None
    assert (post.sender_name, post.sender_email) == ("Ann Example", "ann@example.net")
    assert (post.subject, post.body, post.message_id) == (
        "Hello", "Hello everyone.\n", "<m1@example.net>")
    assert copies(post) == {"ann@example.net", "bob@example.net"}
    assert relay.deliveries == []  # nobody is told anything: it simply goes out
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("receive", "send")))) == 2

    _, reply = receive(discuss, mail(sender="bob@example.net", subject="Re: Hello",
                                     message_id="<m2@example.net>",
                                     extra="In-Reply-To: <m1@example.net>\r\n"))
    assert (reply.parent_id, reply.thread_id, reply.sender_name) == (post.id, post.id, "bob")


@pytest.mark.parametrize("header", [
    f"List-Id: Discussion <discuss.{DOMAIN}>", f"X-Loop: discuss@{DOMAIN}"])
def test_the_lists_own_message_coming_back_is_dropped(discuss, header):
    outcome, post = receive(discuss, mail(extra=header + "\r\n"))
    assert outcome.startswith("dropped:") and "loop" in outcome and post is None


@pytest.mark.parametrize("header", [
    "Auto-Submitted: auto-replied", "Auto-Submitted: auto-generated; owner-email=x@y.org",
    "Precedence: bulk", "Precedence: junk"])
def test_auto_replies_are_dropped(discuss, header):
    outcome, post = receive(discuss, mail(extra=header + "\r\n"))
    assert outcome.startswith("dropped: an automatic message") and post is None


def test_precedence_list_from_another_list_and_auto_submitted_no_are_real_posts(discuss):
    extra = ("Precedence: list\r\nList-Id: Elsewhere <other.example.org>\r\n"
             "Auto-Submitted: no\r\n")
    outcome, post = receive(discuss, mail(extra=extra))
    assert outcome.startswith("posted") and post.status == "queued"


def test_a_delivery_report_or_a_message_without_sender_makes_no_post(discuss):
    outcome, post = receive(discuss, mail(
        content_type="multipart/report; report-type=delivery-status; boundary=x"))
    assert outcome.startswith("dropped: a delivery report") and post is None
    outcome, post = receive(discuss, b"Subject: who?\r\n\r\nnobody\r\n", mail_from="")
    assert outcome == "dropped: the message names no sender" and post is None


def test_a_duplicate_is_dropped_and_a_cross_post_gets_its_own_message_id(discuss, focal):
    receive(discuss, mail())
    outcome, post = receive(discuss, mail())
    assert outcome == "dropped: <m1@example.net> was already posted to this list"
    assert post is None
    other = make_list(name="other", display_name="Other", kind="discussion",
                      posting_policy="subscribers")
    add_subscribers(other, people=SUBSCRIBERS)
    outcome, copy = receive(other, mail())
    assert copy.status == "queued" and copy.message_id != "<m1@example.net>"
    assert copy.references == "<m1@example.net>"


def test_a_message_over_the_size_limit_is_held_and_everyone_concerned_told(
        discuss, relay, focal):
    discuss.max_message_kb = 1
    db.session.commit()
    outcome, post = receive(discuss, mail(body="x" * 3000))
    assert post.status == "held" and post.hold_expires_at is not None
    assert "is 4 KB; the list takes messages of up to 1 KB" in post.hold_reason
    assert outcome.startswith(f"held for moderation as post {post.id}")
    assert copies(post) == set()
    told = notices(relay)
    assert "awaits moderation" in told["ann@example.net"][0]
    assert "awaits you" in told[focal.email][0]


def attached(extra: str = "") -> bytes:
    return (f"From: Ann <ann@example.net>\r\nSubject: Report\r\n{extra}"
            "Message-ID: <att@example.net>\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nThe report.\r\n"
            "--b\r\nContent-Type: application/pdf\r\n"
            "Content-Disposition: attachment; filename=report.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(b'not really a PDF').decode()}\r\n--b--\r\n").encode()


def test_attachments_are_kept_stripped_or_held_as_the_list_says(discuss):
    _, kept = receive(discuss, attached())
    assert kept.status == "queued"
    files = [(a.position, a.filename, a.content_type, a.size, a.data) for a in kept.attachments]
    assert files == [(1, "report.pdf", "application/pdf", 16, b"not really a PDF")]

    discuss.attachment_policy = "strip"
    db.session.commit()
    _, stripped = receive(discuss, attached().replace(b"<att@", b"<att2@"))
    assert stripped.status == "queued" and stripped.attachments == []
    assert stripped.body == "The report.\n\n[The list removed 1 attachment(s): report.pdf (1 KB)]"

    discuss.attachment_policy = "hold"
    db.session.commit()
    outcome, held = receive(discuss, attached().replace(b"<att@", b"<att3@"))
    assert held.status == "held" and "1 attachment(s)" in held.hold_reason
    assert [a.filename for a in held.attachments] == ["report.pdf"]  # kept for approval
    _, plain = receive(discuss, mail(message_id="<plain@example.net>"))
    assert plain.status == "queued"


def rule(mailing_list: MailingList, email: str, action: str) -> None:
    db.session.add(SenderRule(list_id=mailing_list.id, email=email, action=action))
    db.session.commit()


def test_sender_rules_win_over_the_posting_policy(discuss, relay):
    rule(discuss, "stranger@example.org", "accept")
    _, post = receive(discuss, mail(sender="Stranger@Example.org"))
    assert post.status == "queued"

    rule(discuss, "bob@example.net", "hold")
    _, post = receive(discuss, mail(sender="bob@example.net", message_id="<b@example.net>"))
    assert post.status == "held" and "first" in post.hold_reason

    rule(discuss, "spam@example.org", "discard")
    relay.deliveries.clear()
    outcome, post = receive(discuss, mail(sender="spam@example.org", body="x" * 3000,
                                          message_id="<s1@example.net>"))
    assert post.status == "discarded" and outcome.startswith("discarded:")
    assert relay.deliveries == [] and post.attachments == []

    rule(discuss, "rude@example.org", "reject")
    outcome, post = receive(discuss, mail(sender="rude@example.org",
                                          message_id="<r1@example.net>"))
    assert post.status == "rejected" and outcome.startswith("rejected (the sender is told)")
    assert "was not accepted" in notices(relay)["rude@example.org"][0]


def test_a_moderated_subscriber_is_held(discuss):
    db.session.execute(update(Subscription).where(Subscription.email == "bob@example.net")
                       .values(moderated=True))
    db.session.commit()
    _, post = receive(discuss, mail(sender="bob@example.net"))
    assert post.status == "held" and post.hold_reason == \
        "The sender's subscription is on moderation."


def test_posting_policy_subscribers_only_active_subscriptions(discuss):
    db.session.execute(update(Subscription).where(Subscription.email == "bob@example.net")
                       .values(status="unsubscribed"))
    db.session.commit()
    _, post = receive(discuss, mail(sender="bob@example.net"))
    assert post.status == "held"
    assert post.hold_reason == ("bob@example.net may not post to this list directly: only "
                                "subscribers may.")


def test_posting_policy_members_takes_active_members_and_their_logins(discuss):
    discuss.posting_policy = "members"
    db.session.commit()
    make_member(email="active@example.org")
    make_member(status="lapsed", email="lapsed@example.org")
    login_member = make_member(email="office@example.org", login=True)
    from coalition.auth.models import User

    db.session.execute(update(User).where(User.member_id == login_member.id)
                       .values(email="personal@example.org"))
    db.session.commit()
    results = {}
    for n, sender in enumerate(("active@example.org", "lapsed@example.org",
                                "personal@example.org", "ann@example.net")):
        _, post = receive(discuss, mail(sender=sender, message_id=f"<p{n}@example.net>"))
        results[sender] = post.status
    assert results == {"active@example.org": "queued", "lapsed@example.org": "held",
                       "personal@example.org": "queued", "ann@example.net": "held"}


def test_posting_policy_focal_contacts(discuss, focal):
    discuss.posting_policy = "focal_contacts"
    db.session.commit()
    _, post = receive(discuss, mail())
    assert post.status == "held" and "only the focal contacts may" in post.hold_reason
    _, post = receive(discuss, mail(sender=f"Fatima <{focal.email.upper()}>",
                                    message_id="<f@example.org>"))
    assert post.status == "queued" and post.author_id == focal.id


@pytest.mark.parametrize(("action", "status", "told"), [
    ("hold", "held", "awaits moderation"), ("reject", "rejected", "was not accepted"),
    ("discard", "discarded", None)])
def test_non_members_get_the_lists_action(discuss, relay, action, status, told):
    discuss.nonmember_action = action
    db.session.commit()
    _, post = receive(discuss, mail(sender="Stranger <stranger@example.org>"))
    assert post.status == status and copies(post) == set()
    subjects = notices(relay).get("stranger@example.org", [])
    assert (subjects[0] if subjects else None) is None if told is None else told in subjects[0]


def test_an_archived_list_rejects(discuss, relay):
    services.set_list_archived(SYSTEM, discuss, True)
    db.session.commit()
    outcome, post = receive(discuss, mail())
    assert post.status == "rejected" and "archived" in outcome
    assert "was not accepted" in notices(relay)["ann@example.net"][0]


def test_a_broken_message_still_makes_a_post(discuss):
    raw = (b"From: ann@example.net\r\nSubject: " + b"long " * 30_000 + b"\r\n"
           b"Content-Type: multipart/mixed\r\n\r\n\xff\xfe broken \x00 bytes\r\n")
    outcome, post = receive(discuss, raw)
    assert post.status == "queued" and 290 < len(post.subject) <= 300
    assert "broken" in post.body and post.message_id.endswith(f"@{DOMAIN}>")
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_same_message_delivered_twice_at_once_makes_one_post(discuss, monkeypatch):
    """Two LMTP sessions with the same message: both pass the duplicate check before either
    commits; the unique Message-ID lets one post through and drops the other cleanly."""
    _, first = receive(discuss, mail())
    db.session.execute(update(Post).where(Post.id == first.id).values(status="draft"))
    db.session.commit()  # now invisible to the duplicate check, as an uncommitted twin is
    outcome, post = receive(discuss, mail())
    assert post is not None  # a draft does not count: it got an id of its own
    db.session.execute(update(Post).where(Post.id == post.id).values(status="draft"))
    db.session.commit()
    monkeypatch.setattr(rules, "_message_id", lambda message: (message.message_id, None))
    outcome, twin = receive(discuss, mail())
    assert outcome == "dropped: <m1@example.net> was posted at the same moment"
    assert twin is None
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2


# --- the sender's standing, loops and mail servers ----------------------------------------

def test_a_moderated_subscriber_stays_held_after_leaving_the_list(discuss):
    discuss.posting_policy = "members"
    make_member(email="bob@example.net")  # an active member: the policy alone lets him post
    db.session.execute(update(Subscription).where(Subscription.email == "bob@example.net")
                       .values(moderated=True, status="unsubscribed"))
    db.session.commit()
    _, post = receive(discuss, mail(sender="bob@example.net"))
    assert post.status == "held"
    assert post.hold_reason == "The sender's subscription is on moderation."


def test_every_announcement_received_by_email_is_held_even_from_a_focal_contact(
        discuss, focal, relay):
    discuss.kind = "announce"
    discuss.posting_policy = "focal_contacts"
    db.session.commit()
    rule(discuss, "friend@example.org", "accept")
    for n, sender in enumerate((f"Fatima <{focal.email}>", "friend@example.org")):
        outcome, post = receive(discuss, mail(sender=sender, message_id=f"<a{n}@example.net>"))
        assert post.status == "held" and copies(post) == set(), outcome
        assert "announcement received by e-mail waits for a moderator" in post.hold_reason
    rule(discuss, "rude@example.org", "reject")  # a block still refuses
    _, post = receive(discuss, mail(sender="rude@example.org", message_id="<a3@example.net>"))
    assert post.status == "rejected"
    discuss.nonmember_action = "discard"  # and strangers get the list's action, no notice
    db.session.commit()
    relay.deliveries.clear()
    _, post = receive(discuss, mail(sender="spam@example.org", message_id="<a4@example.net>"))
    assert post.status == "discarded" and relay.deliveries == []


@pytest.mark.parametrize("header", [
    f"X-BeenThere: discuss@{DOMAIN}", f"X-BeenThere: other@example.org\r\n"
    f"X-BeenThere: Discuss@{DOMAIN.upper()}", f"X-Loop: <discuss@{DOMAIN}>"])
def test_a_message_that_went_through_this_list_is_dropped(discuss, header):
    outcome, post = receive(discuss, mail(extra=header + "\r\n"))
    assert outcome == "dropped: the list's own message came back (a mail loop)"
    assert post is None


def test_copies_carry_the_lists_they_went_through_and_this_one(discuss):
    _, post = receive(discuss, mail(extra=(
        f"X-BeenThere: other@example.org\r\nX-BeenThere: technews@{DOMAIN}\r\n"
        "X-BeenThere: bad\x01value@example.org\r\nX-BeenThere: liste@exämple.org\r\n")))
    assert post.status == "queued"  # another list's address is not this one's (no substring)
    headers = PostMessage(post).shared_headers.decode()
    assert [line for line in headers.split("\r\n") if line.startswith("X-BeenThere")] == [
        "X-BeenThere: other@example.org", f"X-BeenThere: technews@{DOMAIN}",
        "X-BeenThere: badvalue@example.org", f"X-BeenThere: discuss@{DOMAIN}"]
    db.session.refresh(post)
    web = PostMessage(post)  # a web post too (no received message)
    assert f"X-BeenThere: discuss@{DOMAIN}" in web.shared_headers.decode()


def test_a_message_back_under_a_replaced_id_is_a_duplicate(discuss, focal):
    other = make_list(name="other", display_name="Other", kind="discussion",
                      posting_policy="subscribers")
    add_subscribers(other, people=SUBSCRIBERS)
    receive(discuss, mail())
    _, copy = receive(other, mail())
    assert copy.message_id != "<m1@example.net>"  # the id was discuss's first
    outcome, again = receive(other, mail())  # the same message, round once more
    assert outcome == "dropped: <m1@example.net> was already posted to this list"
    assert again is None
    # A reply naming it in References is a message of its own.
    _, reply = receive(other, mail(subject="Re: Hello", message_id="<r@example.net>",
                                   extra="References: <m1@example.net>\r\n"))
    assert reply.status == "queued"


@pytest.mark.parametrize(("mail_from", "sender"), [
    ("", "Ann Example <ann@example.net>"), ("<>", "Ann Example <ann@example.net>"),
    ("MAILER-DAEMON@mx.example.net", "Ann Example <ann@example.net>"),
    ("bounces@example.net", "Mail Delivery System <postmaster@example.net>")])
def test_mail_servers_messages_are_dropped_without_any_notice(
        discuss, relay, mail_from, sender):
    discuss.nonmember_action = "reject"
    db.session.commit()
    outcome, post = receive(discuss, mail(sender=sender), mail_from=mail_from)
    assert outcome.startswith("dropped:") and "mail server" in outcome
    assert post is None and relay.deliveries == []


def test_a_cross_post_arriving_at_the_same_moment_gets_its_own_id(discuss, monkeypatch):
    """The other list's copy won the Message-ID between our check and our insert."""
    other = make_list(name="other", display_name="Other", kind="discussion",
                      posting_policy="subscribers")
    add_subscribers(other, people=SUBSCRIBERS)
    receive(other, mail())
    monkeypatch.setattr(rules, "_message_id", lambda message: (message.message_id, None))
    outcome, post = receive(discuss, mail())
    assert post.status == "queued", outcome
    assert post.message_id != "<m1@example.net>" and post.references == "<m1@example.net>"
