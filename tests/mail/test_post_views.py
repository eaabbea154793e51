"""Writing to a list on the web: compose, the preview, a test copy to oneself, sending with
a confirmation, delivery progress (page and JSON) after the worker ran, and who may."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.mail import services, subscriptions
from coalition.mail.models import Delivery, Post, SenderRule, SubscriptionStatus
from tests.factories import SYSTEM
from tests.mail.fixtures_manage import (
    deliver,
    make_draft,
    make_list,
    make_poster,
    subscribe,
    text_of,
)


def shown(response) -> str:
    return html.unescape(text_of(response))


def list_mail(outbox) -> list:
    """The list messages in the outbox (not the confirmation e-mails), by recipient."""
    return sorted((m for m in outbox() if m["List-Id"]), key=lambda m: m["X-Envelope-To"])


def deliveries(post: Post, test: bool = False) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(
        Delivery.post_id == post.id, Delivery.is_test.is_(test)).order_by(Delivery.email)))


@pytest.fixture
def board(app):
    """An announcement list with three people receiving, and one of each who does not."""
    mailing_list = make_list("board-announce", display_name="Board announcements",
                             subject_prefix="[Board]", footer="The board of the coalition.")
    ama, bo, cy, paused, gone, bouncing = subscribe(
        mailing_list, "ama@example.org", "bo@example.org", "cy@example.org",
        "paused@example.org", "gone@example.org", "bouncing@example.org")
    subscriptions.set_delivery(SYSTEM, paused, False)
    subscriptions.unsubscribe(None, gone, "link")
    bouncing.status = SubscriptionStatus.DISABLED.value
    subscriptions.request_subscription(mailing_list, "pending@example.org")
    db.session.commit()
    return mailing_list


@pytest.fixture
def poster(app):
    return make_poster(name="Paula Poster", email="paula@example.org")


@pytest.fixture
def discussion(app):
    """A list where every member may write."""
    mailing_list = make_list("board-talk", kind="discussion", posting_policy="members")
    subscribe(mailing_list, "ama@example.org")
    return mailing_list


def sign_in(client, login, user):
    login(user)
    return client


# --- composing and the preview ------------------------------------------------------------

def test_composing_saves_a_draft_and_shows_its_preview(focal_client, board, db):
    response = focal_client.post("/lists/board-announce/compose", data={
        "subject": "Annual meeting", "body": "Dear all,\n\nWe meet on 5 May.\n",
        "body_format": "text"})
    post = db.session.scalar(select(Post))
    assert response.headers["Location"] == f"/lists/board-announce/posts/{post.id}"
    assert (post.status, post.subject, post.sender_email) == \
        ("draft", "Annual meeting", "focal@example.org")
    assert deliveries(post) == []  # nothing is sent yet
    page = shown(focal_client.get(response.headers["Location"]))
    assert "The draft is saved." in page
    assert '<pre class="list-preview-text">Dear all,\n\nWe meet on 5 May.</pre>' in page
    assert "[Board] Annual meeting" in page  # the subject as subscribers see it
    assert "Send a test to me (focal@example.org)" in page
    assert "Send to 3 subscribers</button>" in page
    assert "I have checked the preview and the number of recipients" in page
    assert f'href="/lists/board-announce/posts/{post.id}/edit">Edit</a>' in page


def test_the_markdown_preview_is_sanitised_html(focal_client, board, db):
    focal_client.post("/lists/board-announce/compose", data={
        "subject": "Links", "body_format": "markdown",
        "body": "**Bold** words\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"})
    post = db.session.scalar(select(Post))
    page = text_of(focal_client.get(f"/lists/board-announce/posts/{post.id}"))
    assert "<strong>Bold</strong> words" in page
    assert "<p>&lt;script&gt;alert('x')&lt;/script&gt;</p>" in page
    assert "<script>alert" not in page and 'href="javascript:' not in page


def test_a_message_without_subject_or_text_is_not_saved(focal_client, board):
    response = focal_client.post("/lists/board-announce/compose",
                                 data={"subject": " ", "body": "", "body_format": "text"})
    assert response.status_code == 400
    page = shown(response)
    assert "Enter a subject." in page and "Write the message." in page
    response = focal_client.post("/lists/board-announce/compose",
                                 data={"subject": "Hi", "body": "Text", "body_format": "html"})
    assert response.status_code == 400 and "Not a valid choice" in shown(response)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_editing_a_draft(focal_client, board, focal):
    post = make_draft(board, focal)
    page = shown(focal_client.get(f"/lists/board-announce/posts/{post.id}/edit"))
    assert 'value="Meeting on Thursday"' in page and "We meet at 10:00.</textarea>" in page
    response = focal_client.post(f"/lists/board-announce/posts/{post.id}/edit", data={
        "subject": "Meeting on Friday", "body": "We meet at *11:00*.",
        "body_format": "markdown"})
    assert response.headers["Location"] == f"/lists/board-announce/posts/{post.id}"
    db.session.refresh(post)
    assert (post.subject, post.body_format) == ("Meeting on Friday", "markdown")
    assert "We meet at <em>11:00</em>." in text_of(focal_client.get(response.headers[
        "Location"]))


# --- the test copy -------------------------------------------------------------------------

def test_a_test_copy_goes_to_me_only(focal_client, board, focal, app, outbox):
    post = make_draft(board, focal)
    response = focal_client.post(f"/lists/board-announce/posts/{post.id}/test")
    assert response.headers["Location"] == f"/lists/board-announce/posts/{post.id}"
    page = shown(focal_client.get(response.headers["Location"]))
    assert "A test copy is queued for focal@example.org" in page
    assert "waiting to be sent" in page
    deliver(app)
    [message] = list_mail(outbox)
    assert message["X-Envelope-To"] == "<focal@example.org>"
    assert message["To"].addresses[0].addr_spec == "focal@example.org"
    assert message["Subject"] == "[TEST] [Board] Meeting on Thursday"
    assert "We meet at 10:00." in message.get_body(("plain",)).get_content()
    db.session.refresh(post)
    assert post.status == "draft" and deliveries(post) == []
    assert "Test copy to focal@example.org" in shown(
        focal_client.get(f"/lists/board-announce/posts/{post.id}"))


# --- sending -----------------------------------------------------------------------------

def test_sending_needs_the_confirmation(focal_client, board, focal):
    post = make_draft(board, focal)
    response = focal_client.post(f"/lists/board-announce/posts/{post.id}/send")
    assert response.status_code == 400
    assert "Tick the box to say you have checked the preview; nothing was sent." in \
        shown(response)
    db.session.refresh(post)
    assert post.status == "draft" and deliveries(post) == []


def test_sending_queues_one_copy_per_subscriber_receiving(focal_client, board, focal):
    post = make_draft(board, focal)
    response = focal_client.post(f"/lists/board-announce/posts/{post.id}/send",
                                 data={"confirm": "y"})
    assert response.headers["Location"] == f"/lists/board-announce/posts/{post.id}"
    db.session.refresh(post)
    assert (post.status, post.recipient_count) == ("queued", 3)
    assert [d.email for d in deliveries(post)] == \
        ["ama@example.org", "bo@example.org", "cy@example.org"]
    assert {d.status for d in deliveries(post)} == {"queued"}
    page = shown(focal_client.get(response.headers["Location"]))
    assert "The message is queued for 3 subscribers" in page
    assert 'aria-live="polite"' in page and ">Refresh</a>" in page
    assert '<dd data-progress="queued">3</dd>' in page
    assert re.search(r'<script src="/static/js/post-progress.js(\?[^"]*)?" defer>', page)
    # Sent is sent: a second send, an edit or a test copy changes nothing.
    again = focal_client.post(f"/lists/board-announce/posts/{post.id}/send",
                              data={"confirm": "y"})
    assert "This message has already been sent" in shown(focal_client.get(
        again.headers["Location"]))
    assert focal_client.post(f"/lists/board-announce/posts/{post.id}/test").status_code == 302
    edit = focal_client.get(f"/lists/board-announce/posts/{post.id}/edit")
    assert edit.status_code == 302
    assert len(deliveries(post)) == 3 and deliveries(post, test=True) == []


def test_a_moderated_member_or_one_on_hold_waits_for_a_moderator(client, login, discussion,
                                                                  poster, focal):
    """The same standing as by e-mail: the web is no way round moderation."""
    mine = subscribe(discussion, "paula@example.org")[0]
    mine.moderated = True
    db.session.commit()
    sign_in(client, login, poster)
    post = make_draft(discussion, poster, subject="My view")
    assert "A moderator of the list reads it before it goes out: The sender's subscription " \
        "is on moderation." in shown(client.get(f"/lists/board-talk/posts/{post.id}"))
    response = client.post(f"/lists/board-talk/posts/{post.id}/send", data={"confirm": "y"})
    assert response.headers["Location"] == "/lists/board-talk/posts/"
    db.session.refresh(post)
    assert post.status == "held" and deliveries(post) == []
    assert post.hold_reason == "The sender's subscription is on moderation."
    page = shown(client.get(response.headers["Location"]))
    assert "“My view” waits for a moderator of the list" in page
    # Off moderation, a moderator's "hold" for the address does the same.
    mine.moderated = False
    db.session.add(SenderRule(list_id=discussion.id, email="paula@example.org",
                              action="hold"))
    db.session.commit()
    second = make_draft(discussion, poster, subject="Second view")
    client.post(f"/lists/board-talk/posts/{second.id}/send", data={"confirm": "y"})
    db.session.refresh(second)
    assert second.status == "held" and "first" in second.hold_reason


@pytest.mark.parametrize("action", ["reject", "discard"])
def test_a_blocked_member_is_told_and_nothing_is_sent(client, login, discussion, poster,
                                                      action):
    db.session.add(SenderRule(list_id=discussion.id, email="PAULA@example.org",
                              action=action))
    db.session.commit()
    post = make_draft(discussion, poster)
    sign_in(client, login, poster)
    response = client.post(f"/lists/board-talk/posts/{post.id}/send", data={"confirm": "y"})
    assert response.status_code == 400
    assert "decided not to accept your messages to it: nothing was sent" in shown(response)
    db.session.refresh(post)
    assert post.status == "draft" and deliveries(post) == []


def test_a_focal_contact_is_never_held_on_the_web(focal_client, discussion, focal):
    db.session.add(SenderRule(list_id=discussion.id, email=focal.email, action="hold"))
    db.session.commit()
    post = make_draft(discussion, focal)
    focal_client.post(f"/lists/board-talk/posts/{post.id}/send", data={"confirm": "y"})
    db.session.refresh(post)
    assert post.status == "queued" and len(deliveries(post)) == 1


def test_a_list_with_nobody_receiving_cannot_be_sent_to(focal_client, focal):
    empty = make_list("board-empty")
    post = make_draft(empty, focal)
    page = shown(focal_client.get(f"/lists/board-empty/posts/{post.id}"))
    assert "Nobody would receive it" in page and "Send to 0" not in page
    response = focal_client.post(f"/lists/board-empty/posts/{post.id}/send",
                                 data={"confirm": "y"})
    assert response.status_code == 400
    assert "Nobody would receive this message" in shown(response)


def test_progress_follows_the_worker(focal_client, board, focal, app, outbox):
    post = make_draft(board, focal)
    focal_client.post(f"/lists/board-announce/posts/{post.id}/send", data={"confirm": "y"})
    progress = f"/lists/board-announce/posts/{post.id}/progress"
    assert focal_client.get(progress).get_json() == {
        "queued": 3, "sent": 0, "retry": 0, "failed": 0, "total": 3, "done": False}
    deliver(app)
    assert [m["X-Envelope-To"] for m in list_mail(outbox)] == \
        ["<ama@example.org>", "<bo@example.org>", "<cy@example.org>"]
    assert focal_client.get(progress).get_json() == {
        "queued": 0, "sent": 3, "retry": 0, "failed": 0, "total": 3, "done": True}
    page = shown(focal_client.get(f"/lists/board-announce/posts/{post.id}"))
    assert "Delivery is finished." in page and '<dd data-progress="sent">3</dd>' in page
    assert "post-progress.js" not in page and ">Refresh</a>" not in page


def test_failures_show_the_relays_reply(focal_client, board, focal, app, relay, login,
                                        client):
    """A relay refusing one address and deferring another: the page says which, and why."""
    post = make_draft(board, focal)
    focal_client.post(f"/lists/board-announce/posts/{post.id}/send", data={"confirm": "y"})
    relay.answer("bo@example.org", "550 5.1.1 <bo@example.org>: no such user")
    relay.answer("cy@example.org", "451 4.3.0 try again later")
    db.session.commit()
    from coalition.mail.delivery import Options, Worker
    Worker(app, Options(once=True, connections=1), transport_factory=relay.transport).run()
    assert focal_client.get(f"/lists/board-announce/posts/{post.id}/progress").get_json() == \
        {"queued": 0, "sent": 1, "retry": 1, "failed": 1, "total": 3, "done": False}
    page = shown(focal_client.get(f"/lists/board-announce/posts/{post.id}"))
    assert re.search(r"<th scope=\"row\">bo@example.org</th>\s*<td>Failed</td>", page)
    assert "no such user" in page and "try again later" in page
    assert "Delivery is under way." in page


def test_a_member_sees_failures_without_addresses(client, login, discussion, poster, app,
                                                  relay):
    subscribe(discussion, "bo@example.org")
    post = make_draft(discussion, poster)
    sign_in(client, login, poster)
    client.post(f"/lists/board-talk/posts/{post.id}/send", data={"confirm": "y"})
    relay.answer("bo@example.org", "550 5.1.1 <bo@example.org>: no such user")
    db.session.commit()
    from coalition.mail.delivery import Options, Worker
    Worker(app, Options(once=True, connections=1), transport_factory=relay.transport).run()
    page = shown(client.get(f"/lists/board-talk/posts/{post.id}"))
    assert "no such user" in page and "(address hidden)" in page
    assert "bo@example.org" not in page
    assert "Delivery is finished: 1 copy could not be delivered." in page


# --- the list of posts ---------------------------------------------------------------------

def test_the_focal_contact_sees_every_post_with_its_progress(focal_client, board, focal,
                                                             poster, app):
    services.update_list(SYSTEM, board, services.ListInput(
        **{**services.list_input(board).__dict__, "posting_policy": "members"}))
    db.session.commit()
    sent = make_draft(board, focal, subject="Sent one")
    focal_client.post(f"/lists/board-announce/posts/{sent.id}/send", data={"confirm": "y"})
    deliver(app)
    make_draft(board, poster, subject="Paula's draft")
    page = shown(focal_client.get("/lists/board-announce/posts/"))
    assert "Sent one" in page and "Paula's draft" in page
    assert "3 of 3 sent" in page and "Paula Poster" in page


def test_a_member_who_may_post_sees_only_their_own(client, login, discussion, poster, focal):
    make_draft(discussion, focal, subject="The focal contact's draft")
    mine = make_draft(discussion, poster, subject="My draft")
    sign_in(client, login, poster)
    page = shown(client.get("/lists/board-talk/posts/"))
    assert "My messages and drafts" in page
    assert "My draft" in page and "The focal contact's draft" not in page
    assert f"/lists/board-talk/posts/{mine.id}" in page


# --- who may -----------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(anonymous, board, focal):
    post = make_draft(board, focal)
    base = f"/lists/board-announce/posts/{post.id}"
    for path in ("/lists/board-announce/posts/", "/lists/board-announce/compose", base,
                 f"{base}/edit", f"{base}/progress"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    for path in (f"{base}/test", f"{base}/send"):
        assert anonymous.post(path, data={"confirm": "y"}).headers["Location"] \
            .startswith("/login")
    assert deliveries(post) == [] and deliveries(post, test=True) == []


def test_a_member_may_not_write_to_a_focal_contacts_list(client, login, board, poster,
                                                         focal):
    post = make_draft(board, focal)
    sign_in(client, login, poster)
    assert client.get("/lists/board-announce/posts/").status_code == 403
    assert client.get("/lists/board-announce/compose").status_code == 403
    response = client.post("/lists/board-announce/compose",
                           data={"subject": "Hi", "body": "Text", "body_format": "text"})
    assert response.status_code == 403
    base = f"/lists/board-announce/posts/{post.id}"
    for path in (base, f"{base}/edit", f"{base}/progress"):
        assert client.get(path).status_code == 403, path
    for path in (f"{base}/test", f"{base}/send", f"{base}/edit"):
        assert client.post(path, data={"confirm": "y", "subject": "Hijacked",
                                       "body": "x", "body_format": "text"}
                           ).status_code == 403, path
    db.session.refresh(post)
    assert (post.status, post.subject) == ("draft", "Meeting on Thursday")
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_a_login_without_member_record_may_not_write_even_where_members_may(
        client, login, discussion, member):
    sign_in(client, login, member)
    assert client.get("/lists/board-talk/compose").status_code == 403


def test_a_member_who_may_post_writes_but_not_into_others_drafts(client, login, discussion,
                                                                 poster, focal, app, outbox):
    other = make_draft(discussion, make_poster(name="Otto Other"), subject="Otto's draft")
    focal_draft = make_draft(discussion, focal, subject="Focal draft")
    sign_in(client, login, poster)
    response = client.post("/lists/board-talk/compose", data={
        "subject": "From Paula", "body": "Hello all", "body_format": "text"})
    mine = db.session.scalar(select(Post).where(Post.subject == "From Paula"))
    assert response.headers["Location"] == f"/lists/board-talk/posts/{mine.id}"
    assert "Send a test to me (paula@example.org)" in shown(client.get(
        response.headers["Location"]))
    for post in (other, focal_draft):
        base = f"/lists/board-talk/posts/{post.id}"
        assert client.get(base).status_code == 403
        assert client.get(f"{base}/edit").status_code == 403
        assert client.post(f"{base}/edit", data={"subject": "Hijacked", "body": "x",
                                                 "body_format": "text"}).status_code == 403
        assert client.post(f"{base}/test").status_code == 403
        assert client.post(f"{base}/send", data={"confirm": "y"}).status_code == 403
        assert client.get(f"{base}/progress").status_code == 403
        db.session.refresh(post)
        assert post.status == "draft" and post.subject != "Hijacked"
    client.post(f"/lists/board-talk/posts/{mine.id}/send", data={"confirm": "y"})
    deliver(app)
    assert [m["X-Envelope-To"] for m in list_mail(outbox)] == ["<ama@example.org>"]
    assert client.get(f"/lists/board-talk/posts/{mine.id}/progress").get_json()["sent"] == 1


def test_a_focal_contact_may_edit_and_send_a_members_draft(focal_client, discussion, poster):
    post = make_draft(discussion, poster)
    response = focal_client.post(f"/lists/board-talk/posts/{post.id}/edit", data={
        "subject": "Corrected", "body": "Fixed text", "body_format": "text"})
    assert response.status_code == 302
    focal_client.post(f"/lists/board-talk/posts/{post.id}/send", data={"confirm": "y"})
    db.session.refresh(post)
    assert (post.subject, post.status, post.sender_email) == \
        ("Corrected", "queued", "paula@example.org")


def test_unknown_lists_and_posts_of_another_list_are_not_found(focal_client, board, focal,
                                                               discussion):
    post = make_draft(discussion, focal)
    assert focal_client.get("/lists/nothing-here/posts/").status_code == 404
    assert focal_client.get("/lists/nothing-here/compose").status_code == 404
    for path in (f"/lists/board-announce/posts/{post.id}",
                 f"/lists/board-announce/posts/{post.id}/edit",
                 f"/lists/board-announce/posts/{post.id}/progress",
                 "/lists/board-announce/posts/999999"):
        assert focal_client.get(path).status_code == 404, path
    assert focal_client.post(f"/lists/board-announce/posts/{post.id}/send",
                             data={"confirm": "y"}).status_code == 404
    db.session.refresh(post)
    assert post.status == "draft"


def test_an_archived_list_takes_no_new_message(client, login, discussion, poster, focal):
    post = make_draft(discussion, focal)
    services.set_list_archived(SYSTEM, discussion, True)
    db.session.commit()
    sign_in(client, login, poster)
    assert client.get("/lists/board-talk/compose").status_code == 404  # hidden from members
    client.post("/logout")
    sign_in(client, login, focal)
    response = client.get("/lists/board-talk/compose")
    assert response.status_code == 403
    assert "This list is archived: nothing can be written to it." in shown(response)
    page = shown(client.get(f"/lists/board-talk/posts/{post.id}"))
    assert "The list is archived: this draft cannot be sent." in page
    assert client.post(f"/lists/board-talk/posts/{post.id}/send",
                       data={"confirm": "y"}).status_code == 403
    assert client.get("/lists/board-talk/posts/").status_code == 200
