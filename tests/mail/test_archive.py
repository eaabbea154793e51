"""The archive's queries and services: months and threads, search on both databases,
addresses shortened for the public, safe bodies, attachments' served types, the mbox
parsed back with Python's mailbox module, and replies from the web."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import archive, posting
from coalition.mail.models import (
    Attachment,
    Delivery,
    InboundMessage,
    Post,
    PostSource,
    PostStatus,
)
from coalition.mail.posting import PostInput
from coalition.members.services import login_of
from tests.factories import SYSTEM, make_member
from tests.mail.fixtures_public import make_list, subscribe

JUNE = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
JULY = datetime(2026, 7, 2, 15, 30, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def web_post(mailing_list, subject: str, body: str = "Hello.", at: datetime = JUNE,
             body_format: str = "text", parent: Post | None = None) -> Post:
    """A post written on the web and sent at `at` (a reply to `parent` if given)."""
    post = posting.compose(SYSTEM, mailing_list, PostInput(subject, body, body_format))
    if parent is not None:
        post.in_reply_to = parent.message_id
        post.references = parent.message_id
    posting.queue_copies(post, at)
    db.session.commit()
    return post


def email_post(mailing_list, subject: str, body: str = "Hello by mail.",
               at: datetime = JUNE, sender: tuple[str, str] = ("Jane Doe", "jane@example.org"),
               parent: Post | None = None, attachments=(), html: str | None = None) -> Post:
    """A post received by e-mail, as the inbound handler stores it: the raw message, the
    text the parser kept, the attachments; then sent to the list."""
    message = EmailMessage()
    message["From"] = f"{sender[0]} <{sender[1]}>"
    message["To"] = f"{mailing_list.name}@lists.example.org"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.net")
    if parent is not None:
        message["In-Reply-To"] = parent.message_id
        message["References"] = parent.message_id
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    raw = message.as_bytes(policy=policy.SMTP)
    inbound = InboundMessage(rcpt_to=f"{mailing_list.name}@lists.example.org", kind="post",
                             list_id=mailing_list.id, message_id=message["Message-ID"],
                             size=len(raw), raw=raw, status="handled",
                             mail_from=sender[1], received_at=at)
    post = Post(mailing_list=mailing_list, sender_name=sender[0], sender_email=sender[1],
                subject=subject, body=body, status=PostStatus.DRAFT.value,
                source=PostSource.EMAIL.value, message_id=message["Message-ID"],
                in_reply_to=message["In-Reply-To"], references=message["References"],
                inbound=inbound, created_at=at)
    db.session.add(post)
    db.session.flush()
    for position, (filename, content_type, data) in enumerate(attachments, start=1):
        db.session.add(Attachment(post_id=post.id, position=position, filename=filename,
                                  content_type=content_type, size=len(data), data=data))
    posting.queue_copies(post, at)
    db.session.commit()
    return post


def member_login():
    return login_of(make_member(login=True))


@pytest.fixture
def talk(app):
    mailing_list = make_list("talk", display_name="Talk", kind="discussion",
                             posting_policy="members")
    subscribe(mailing_list, "reader@example.org", "Rita Reader")
    return mailing_list


# --- months and threads --------------------------------------------------------------------

def test_months_count_the_sent_posts_newest_first(talk):
    web_post(talk, "June one", at=JUNE)
    web_post(talk, "June two", at=JUNE.replace(day=30, hour=23))
    web_post(talk, "July", at=JULY)
    posting.compose(SYSTEM, talk, PostInput("A draft", "Not sent."))
    db.session.commit()
    assert [(m.year, m.month, m.count) for m in archive.months(talk)] == [
        (2026, 7, 1), (2026, 6, 2)]
    assert [p.subject for p in archive.month_posts(talk, 2026, 6).items] == [
        "June one", "June two"]


def test_threads_nest_replies_under_what_they_answer(talk):
    root = web_post(talk, "Consultation", at=JUNE)
    answer = email_post(talk, "Re: Consultation", at=JUNE.replace(day=11), parent=root)
    deeper = web_post(talk, "Re: Consultation", at=JULY, parent=answer)
    other = web_post(talk, "Another topic", at=JUNE.replace(day=12))
    tree = archive.thread(talk, root.id)
    assert tree.post == root and tree.size == 3
    assert tree.children[0].post == answer and tree.children[0].children[0].post == deeper
    # June's threads: the other topic was active last; July shows the consultation alone.
    page, trees = archive.month_threads(talk, 2026, 6)
    assert [t.post for t in trees] == [other, root]
    page, trees = archive.month_threads(talk, 2026, 7)
    assert [t.post for t in trees] == [root] and trees[0].size == 3
    latest = archive.latest_threads(talk)
    assert [(s.root, s.count) for s in latest] == [(root, 3), (other, 1)]
    assert archive.neighbours(answer) == (root, [deeper])


def test_a_month_that_does_not_exist_is_refused():
    with pytest.raises(ValueError):
        archive.month_range(2026, 13)


# --- search --------------------------------------------------------------------------------

def test_search_needs_every_word_in_subject_body_or_sender(talk):
    helplines = web_post(talk, "Helplines at the IGF", "Children's helplines meet in Kyoto.")
    email_post(talk, "Budget", "The budget for the helplines is ready.",
               sender=("Ama Mensah", "ama@example.org"))
    web_post(talk, "Éducation", "Le programme d'éducation numérique.")
    other = make_list("other")
    web_post(other, "Helplines elsewhere", "Helplines too.")

    def found(query: str) -> list[str]:
        return [p.subject for p in archive.search_posts(talk, query)[1].items]

    assert set(found("helplines")) == {"Helplines at the IGF", "Budget"}
    assert found("helplines kyoto") == ["Helplines at the IGF"]
    assert found("child") == ["Helplines at the IGF"]  # a prefix matches
    assert found("mensah budget") == ["Budget"]  # the sender's name
    assert found("education") == found("ÉDUCATION") == ["Éducation"]  # accents folded
    assert found("helplines nowhere") == []
    assert found("  ") == [] and found("%_*") == []
    # The subject weighs more than the body: a post titled with the word comes first.
    assert found("helplines")[0] == "Helplines at the IGF"
    # Held and draft posts are not found.
    draft = posting.compose(SYSTEM, talk, PostInput("Helplines draft", "Helplines."))
    db.session.commit()
    assert "Helplines draft" not in found("helplines")
    # Edited text is found under its new words (the index follows the row).
    helplines.body = "Moved to Geneva."
    db.session.commit()
    assert found("geneva") == ["Helplines at the IGF"] and found("kyoto") == []
    assert draft.id


def test_search_results_are_paginated(talk):
    for n in range(archive.SEARCH_PAGE + 3):
        web_post(talk, f"Minutes {n}", "Minutes of the call.")
    words, page = archive.search_posts(talk, "minutes", 2)
    assert words == ["minutes"] and page.total == archive.SEARCH_PAGE + 3
    assert page.pages == 2 and len(page.items) == 3


def test_a_snippet_shows_the_body_around_the_first_word():
    post = Post(body="x " * 300 + "the kyoto meeting, write to jane@example.org " + "y " * 300)
    piece = archive.snippet(post, ["kyoto"], reveal=False)
    assert "kyoto meeting" in piece and piece.startswith("…") and piece.endswith("…")
    assert "j…@example.org" in piece and "jane@" not in piece


# --- addresses and bodies ------------------------------------------------------------------

def test_addresses_are_shortened_for_the_public():
    assert archive.obfuscate("Write to jane.doe+igf@example.org or <a@b.org>.") == \
        "Write to j…@example.org or <a…@b.org>."
    assert archive.obfuscate("no address @ here, user@localhost") == \
        "no address @ here, user@localhost"
    assert archive.shown("jane@example.org", reveal=True) == "jane@example.org"
    # Internationalised addresses (RFC 6531) too.
    assert archive.obfuscate("jürgen@bücher.example, 李@例子.中国") == \
        "j…@bücher.example, 李…@例子.中国"


def test_text_bodies_are_escaped_with_links_made_clickable():
    body = ('<script>alert(1)</script> <b onclick="x()">bold</b>\n'
            "See https://example.org/a?b=1&c=2. Or (https://en.wikipedia.org/wiki/A_(b)).\n"
            "javascript:alert(1) and mail jane@example.org")
    html = str(archive.text_html(body, reveal=False))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b " not in html and "onclick=&#34;" in html
    assert ('<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
            "https://example.org/a?b=1&amp;c=2</a>.") in html
    assert 'href="https://en.wikipedia.org/wiki/A_(b)"' in html
    assert 'href="javascript' not in html
    assert "j…@example.org" in html and "jane@" not in html


def test_an_email_post_never_shows_the_senders_html(talk):
    post = email_post(talk, "Hi", "Plain <i>text</i> part.",
                      html='<p onclick="steal()">Rich</p><script>alert(1)</script>')
    body, is_html = archive.body_html(post, reveal=True)
    assert not is_html and "&lt;i&gt;" in str(body)
    assert "steal" not in str(body) and "Rich" not in str(body)


def test_markdown_posts_are_rendered_with_addresses_shortened(talk):
    post = web_post(talk, "News", "**Bold**, <jane@example.org>\n\n<script>x</script>",
                    body_format="markdown")
    body, is_html = archive.body_html(post, reveal=False)
    assert is_html and "<strong>Bold</strong>" in body
    assert "mailto:" not in body and "jane@" not in body and "<script>" not in body
    body, _ = archive.body_html(post, reveal=True)
    assert 'href="mailto:jane@example.org"' in body


def test_members_and_focal_contacts_see_addresses(app, focal):
    assert not archive.reveals_addresses(None)
    assert archive.reveals_addresses(focal)
    assert archive.reveals_addresses(member_login())


# --- attachments ---------------------------------------------------------------------------

@pytest.mark.parametrize(("declared", "data", "served"), [
    ("application/pdf", PDF, "application/pdf"),
    ("application/pdf", b"<html><script>alert(1)</script></html>", "application/octet-stream"),
    ("text/html", b"<p>hi</p>", "application/octet-stream"),
    ("image/svg+xml", b"<svg onload='x()'/>", "application/octet-stream"),
    ("image/png", b"\x89PNG\r\n\x1a\n....", "image/png"),
    ("image/png", b"GIF89a", "application/octet-stream"),
    ("text/plain", "café".encode(), "text/plain; charset=utf-8"),
    ("text/plain", b"caf\xe9", "application/octet-stream"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK..",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("APPLICATION/X-SHOCKWAVE-FLASH", b"FWS", "application/octet-stream"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_attachments_are_served_as_declared_only_when_harmless(declared, data, served):
    item = Attachment(content_type=declared, data=data)
    assert archive.served_type(item) == served


# --- the mbox ------------------------------------------------------------------------------

def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def _parse(data: bytes, tmp_path) -> list[mailbox.mboxMessage]:
    path = tmp_path / "month.mbox"
    path.write_bytes(data)
    box = mailbox.mbox(str(path), create=False)
    try:
        return list(box)
    finally:
        box.close()


def test_the_mbox_holds_the_months_messages_as_received(talk, tmp_path):
    root = web_post(talk, "Agenda", "From the chair:\nFrom now on we meet monthly.", at=JUNE)
    mailed = email_post(talk, "Re: Agenda", "From my side, yes.\n>From quoted too.",
                        at=JUNE.replace(day=12), parent=root,
                        attachments=[("plan.pdf", "application/pdf", PDF)])
    web_post(talk, "July", at=JULY)
    messages = _parse(archive.mbox(talk, 2026, 6, reveal=True), tmp_path)
    assert [m["Subject"] for m in messages] == ["Agenda", "Re: Agenda"]
    first, second = messages
    assert first["Message-ID"] == root.message_id
    assert first.get_from().startswith(root.sender_email)
    assert "From now on we meet monthly." in first.get_payload(decode=True).decode()
    assert second["Message-ID"] == mailed.message_id
    assert second["In-Reply-To"] == root.message_id
    assert second.get_from().startswith("jane@example.org ")
    # The stored raw message, as received: the sender's address and the attachment.
    assert second.as_bytes().count(b"jane@example.org") >= 1
    parsed = mailbox.mboxMessage(second)
    files = [part.get_filename() for part in parsed.walk() if part.get_filename()]
    assert files == ["plan.pdf"]
    text = next(part for part in parsed.walk() if part.get_content_type() == "text/plain")
    assert ">From quoted too." in text.get_payload(decode=True).decode()
    assert "From my side, yes." in text.get_payload(decode=True).decode()


def test_the_public_mbox_hides_every_address(talk, tmp_path):
    root = web_post(talk, "Write to chair@example.org", "Or to jane@example.org.")
    email_post(talk, "Re: hello", "Me: jane@example.org", parent=root,
               attachments=[("notes.txt", "text/plain", b"plain notes")])
    data = archive.mbox(talk, 2026, 6, reveal=False)
    assert b"jane@example.org" not in data and b"chair@example.org" not in data
    messages = _parse(data, tmp_path)
    assert len(messages) == 2
    assert decoded(messages[0]["Subject"]) == "Write to c…@example.org"
    assert decoded(messages[1]["From"]) == '"Jane Doe via Talk" <talk@lists.coalition.test>'
    assert messages[1].get_from().startswith("talk@lists.coalition.test ")
    texts = [part.get_payload(decode=True).decode() for message in messages
             for part in message.walk() if part.get_content_type() == "text/plain"
             and not part.get_filename()]
    assert texts == ["Or to j…@example.org.\n", "Me: j…@example.org\n"]
    assert messages[1]["In-Reply-To"] == root.message_id
    parts = {part.get_filename(): part for part in messages[1].walk() if part.get_filename()}
    assert parts["notes.txt"].get_payload(decode=True) == b"plain notes"


def test_an_empty_month_is_an_empty_mbox(talk, tmp_path):
    assert _parse(archive.mbox(talk, 2020, 1, reveal=True), tmp_path) == []


# --- replies from the web ------------------------------------------------------------------

def test_a_member_who_may_post_replies_at_once_with_threading_headers(talk):
    parent = email_post(talk, "Consultation", "Views by Friday?\n\nThanks")
    user = member_login()
    assert archive.reply_subject(parent) == "Re: Consultation"
    assert archive.quoted_body(parent).endswith("> Views by Friday?\n>\n> Thanks\n\n")
    done = archive.reply(user, parent, "Re: Consultation", "Yes, by Friday.", JULY)
    db.session.commit()
    post = done.post
    assert done.sent and post.status == PostStatus.QUEUED and post.source == PostSource.WEB
    assert post.author_id == user.id and post.sender_email == user.email
    assert post.in_reply_to == parent.message_id
    assert post.references == parent.message_id
    assert post.parent_id == parent.id and post.thread_id == parent.id
    assert post.message_id not in (parent.message_id, None)
    assert db.session.scalar(select(Delivery.email).where(Delivery.post_id == post.id)) == \
        "reader@example.org"
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_id == str(post.id)).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["create", "send"]


def test_a_reply_from_someone_who_may_not_post_is_held(app):
    circle = make_list("circle", kind="discussion", posting_policy="subscribers")
    subscribe(circle, "reader@example.org")
    parent = web_post(circle, "Hello")
    done = archive.reply(member_login(), parent, "Re: Hello", "Me too.", JULY)
    db.session.commit()
    assert not done.sent and done.post.status == PostStatus.HELD
    assert done.post.hold_reason and done.post.held_at == JULY
    assert db.session.scalar(select(Delivery.id).where(Delivery.post_id == done.post.id)) \
        is None


def test_no_reply_to_announcements_or_from_people_who_are_not_members(app, create_user):
    news = make_list("news")
    parent = web_post(news, "Newsletter")
    with pytest.raises(PermissionDenied):
        archive.reply(member_login(), parent, "Re: Newsletter", "Thanks!")
    talk = make_list("talk2", kind="discussion", posting_policy="members")
    parent = web_post(talk, "Hello")
    with pytest.raises(PermissionDenied):
        archive.reply(create_user(email="someone@example.org"), parent, "Re: x", "y")
    with pytest.raises(ValidationError):
        archive.reply(member_login(), parent, "Re: Hello", "   ")
