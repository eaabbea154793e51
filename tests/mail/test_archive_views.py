"""The archive's pages as visitors, members and focal contacts use them: months, threads,
a message's permalink (safe bodies, addresses hidden from the public, attachments), search,
downloads (attachments and mbox) and their headers, and replying from the web; every
route refuses what the list's archive visibility does not allow."""

from __future__ import annotations

import mailbox

import pytest
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail.models import Post, PostStatus, SenderRule
from tests.mail.fixtures_public import make_list, subscribe
from tests.mail.test_archive import JULY, JUNE, PDF, email_post, member_login, web_post
from tests.mail.test_views import heading, text


@pytest.fixture
def talk(app):
    mailing_list = make_list("talk", display_name="Talk", kind="discussion",
                             posting_policy="members")
    subscribe(mailing_list, "reader@example.org", "Rita Reader")
    return mailing_list


@pytest.fixture
def thread(talk):
    """A web post, an e-mail answer with a PDF (and an "HTML PDF") and script in its
    text, and an answer to that in July."""
    root = web_post(talk, "Consultation on helplines", "Views by Friday? Write to "
                    "chair@example.org.", at=JUNE)
    answer = email_post(
        talk, "Re: Consultation on helplines",
        'Agreed. <script>alert("x")</script> <a onclick="steal()">click</a>\n'
        "Details: https://example.org/plan?a=1&b=2 or jane@example.org",
        at=JUNE.replace(day=12), parent=root,
        attachments=[("plan.pdf", "application/pdf", PDF),
                     ("fake.pdf", "application/pdf", b"<html><script>x()</script></html>"),
                     ("page.html", "text/html", b"<script>x()</script>")])
    late = web_post(talk, "Re: Consultation on helplines", "Late but yes.", at=JULY,
                    parent=answer)
    return root, answer, late


def page_of(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response


# --- browsing ------------------------------------------------------------------------------

def test_the_archive_lists_months_and_latest_threads(client, thread):
    root, _answer, _late = thread
    response = page_of(client, "/lists/talk/archive/")
    body = response.get_data(as_text=True)
    assert "July 2026 1 July 2026 as mbox" in text(response)
    assert "June 2026 2 June 2026 as mbox" in text(response)
    assert "/lists/talk/archive/2026-06/" in body and "/lists/talk/archive/2026-07.mbox" in body
    assert f"/lists/talk/archive/thread/{root.id}/" in body
    assert "Consultation on helplines Test Coalition · 3 messages" in text(response)
    assert 'role="search"' in body


def test_a_month_by_thread_and_by_date(client, thread):
    root, answer, late = thread
    response = page_of(client, "/lists/talk/archive/2026-06/")
    body = response.get_data(as_text=True)
    assert heading(response) == "Talk: June 2026"
    # The whole thread, nested: the July answer sits under the June one.
    assert body.index(f"/archive/{root.id}/") < body.index(f"/archive/{answer.id}/") < \
        body.index(f"/archive/{late.id}/")
    assert body.count("<ul") >= 3
    assert '<strong aria-current="page">By thread</strong>' in body
    assert "/lists/talk/archive/2026-06/?view=date" in body
    response = page_of(client, "/lists/talk/archive/2026-06/?view=date")
    body = response.get_data(as_text=True)
    assert f"/archive/{late.id}/" not in body  # by date: only June's messages
    assert body.index(f"/archive/{root.id}/") < body.index(f"/archive/{answer.id}/")
    assert "No messages were sent" in text(page_of(client, "/lists/talk/archive/2025-01/"))
    assert client.get("/lists/talk/archive/2026-13/").status_code == 404
    assert client.get("/lists/talk/archive/2026-0/").status_code == 404


def test_a_month_with_many_threads_is_paginated(client, talk):
    for n in range(27):
        web_post(talk, f"Topic {n}", at=JUNE.replace(day=1 + n))
    response = page_of(client, "/lists/talk/archive/2026-06/")
    assert "Page 1 of 2" in text(response) and "Topic 26" in text(response)
    assert "/lists/talk/archive/2026-06/?page=2" in response.get_data(as_text=True)
    response = page_of(client, "/lists/talk/archive/2026-06/?page=2")
    assert "Topic 0" in text(response) and "Topic 26" not in text(response)


def test_a_thread_page_shows_every_message_nested(client, thread, talk):
    root, answer, late = thread
    response = page_of(client, f"/lists/talk/archive/thread/{root.id}/")
    assert heading(response) == "Thread: Consultation on helplines"
    assert "3 messages" in text(response)
    # The messages themselves, in reading order, as safely as on their own pages.
    page = text(response)
    first, second, third = (page.index("Views by Friday?"), page.index("Agreed."),
                            page.index("Late but yes."))
    assert first < second < third
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "jane@example.org" not in body and "chair@example.org" not in body
    # Only a thread's first post names a thread, and only on its own list.
    assert client.get(f"/lists/talk/archive/thread/{answer.id}/").status_code == 404
    make_list("other")
    assert client.get(f"/lists/other/archive/thread/{root.id}/").status_code == 404


# --- a message -----------------------------------------------------------------------------

def test_an_email_message_shows_as_text_with_addresses_hidden_from_visitors(client, thread):
    root, answer, late = thread
    response = page_of(client, f"/lists/talk/archive/{answer.id}/")
    body = response.get_data(as_text=True)
    assert heading(response) == "Re: Consultation on helplines"
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "<a onclick" not in body and 'onclick="steal' not in body
    assert ('<a href="https://example.org/plan?a=1&amp;b=2" rel="nofollow ugc noopener">'
            in body)
    assert "jane@example.org" not in body and "j…@example.org" in body
    assert "From Jane Doe <j…@example.org>" in text(response)
    # Thread navigation: what it answers, its answers, the whole thread.
    assert f"/lists/talk/archive/{root.id}/" in body
    assert f"/lists/talk/archive/{late.id}/" in body
    assert f"/lists/talk/archive/thread/{root.id}/" in body
    # Attachments with their sizes, as downloads.
    assert "plan.pdf" in text(response) and f"/archive/{answer.id}/files/1/plan.pdf" in body
    assert "Reply to the list" not in text(response)  # visitors do not reply
    # The old address without the final slash (part 1's Archived-At) still works.
    assert client.get(f"/lists/talk/archive/{answer.id}").status_code == 200


def test_members_see_addresses_and_may_reply(client, login, thread):
    _root, answer, _late = thread
    login(member_login())
    response = page_of(client, f"/lists/talk/archive/{answer.id}/")
    assert "jane@example.org" in text(response)
    assert f"/lists/talk/archive/{answer.id}/reply" in response.get_data(as_text=True)


def test_drafts_held_posts_and_other_lists_posts_have_no_permalink(client, talk, thread):
    root, _answer, _late = thread
    held = db.session.get(Post, root.id)
    held.status = PostStatus.HELD.value
    db.session.commit()
    assert client.get(f"/lists/talk/archive/{root.id}/").status_code == 404
    make_list("other")
    _, answer, _ = thread
    assert client.get(f"/lists/other/archive/{answer.id}/").status_code == 404
    assert client.get("/lists/talk/archive/999999/").status_code == 404


# --- search --------------------------------------------------------------------------------

def test_search_finds_messages_with_every_word(client, thread):
    root, answer, _late = thread
    response = page_of(client, "/lists/talk/archive/search?q=friday+views")
    assert "1 message found" in text(response)
    assert f"/lists/talk/archive/{root.id}/" in response.get_data(as_text=True)
    assert "c…@example.org" in text(response) and "chair@" not in text(response)
    response = page_of(client, "/lists/talk/archive/search?q=agreed+jane")
    assert f"/lists/talk/archive/{answer.id}/" in response.get_data(as_text=True)
    assert "No message has all of these words: friday, nowhere." in text(
        page_of(client, "/lists/talk/archive/search?q=friday+nowhere"))
    assert "1 message found" not in text(page_of(client, "/lists/talk/archive/search"))


# --- downloads -----------------------------------------------------------------------------

def test_attachments_are_downloads_and_never_render(client, thread):
    _root, answer, _late = thread
    response = client.get(f"/lists/talk/archive/{answer.id}/files/1/plan.pdf")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    for position, filename in ((2, "fake.pdf"), (3, "page.html")):
        response = client.get(f"/lists/talk/archive/{answer.id}/files/{position}/{filename}")
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    # The name must be the file's; the position must exist.
    assert client.get(f"/lists/talk/archive/{answer.id}/files/1/other.pdf").status_code == 404
    assert client.get(f"/lists/talk/archive/{answer.id}/files/9/plan.pdf").status_code == 404


def test_the_month_downloads_as_mbox(client, login, thread, tmp_path):
    root, answer, _late = thread
    response = client.get("/lists/talk/archive/2026-06.mbox")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/mbox"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="talk-2026-06.mbox"'
    assert b"jane@example.org" not in response.data
    path = tmp_path / "june.mbox"
    path.write_bytes(response.data)
    box = mailbox.mbox(str(path))
    assert [m["Message-ID"] for m in box] == [root.message_id, answer.message_id]
    box.close()
    login(member_login())
    response = client.get("/lists/talk/archive/2026-06.mbox")
    assert b"From: Jane Doe <jane@example.org>" in response.data  # as received
    assert client.get("/lists/talk/archive/2026-13.mbox").status_code == 404


# --- who may read --------------------------------------------------------------------------

ROUTES = ("/lists/{name}/archive/", "/lists/{name}/archive/2026-06/",
          "/lists/{name}/archive/{post}/", "/lists/{name}/archive/thread/{post}/",
          "/lists/{name}/archive/search?q=hello", "/lists/{name}/archive/2026-06.mbox",
          "/lists/{name}/archive/{post}/files/1/plan.pdf", "/lists/{name}/archive/{post}/reply")


def test_a_members_archive_asks_visitors_to_sign_in_everywhere(client, login, create_user):
    board = make_list("board", kind="discussion", archive_visibility="members",
                      posting_policy="members")
    post = email_post(board, "Hello", attachments=[("plan.pdf", "application/pdf", PDF)])
    paths = [route.format(name="board", post=post.id) for route in ROUTES]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    login(create_user(email="not-a-member@example.org"))  # a login, no member record
    for path in paths:
        assert client.get(path).status_code == 404, path
    client.post("/logout")
    login(member_login())
    for path in paths:
        assert client.get(path).status_code == 200, path
    response = client.get(paths[-3].replace(".mbox", ".mbox"))
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_unarchived_list_is_for_focal_contacts_only(client, login, focal):
    quiet = make_list("quiet", kind="discussion", archive_visibility="none",
                      posting_policy="members")
    post = email_post(quiet, "Hello", attachments=[("plan.pdf", "application/pdf", PDF)])
    paths = [route.format(name="quiet", post=post.id) for route in ROUTES]
    for path in paths[:-1]:
        assert client.get(path).status_code == 404, path
    login(member_login())
    for path in paths:
        assert client.get(path).status_code == 404, path
    client.post("/logout")
    login(focal)
    for path in paths:
        assert client.get(path).status_code == 200, path


# --- replying ------------------------------------------------------------------------------

def test_a_member_replies_from_the_archive(client, login, thread):
    _root, answer, _late = thread
    login(member_login())
    response = page_of(client, f"/lists/talk/archive/{answer.id}/reply")
    body = response.get_data(as_text=True)
    assert 'value="Re: Consultation on helplines"' in body
    assert "&gt; Agreed." in body and "wrote:" in body
    response = client.post(f"/lists/talk/archive/{answer.id}/reply",
                           data={"subject": "Re: Consultation on helplines",
                                 "body": "I agree too."})
    assert response.status_code == 302
    reply = db.session.scalar(select(Post).where(Post.body == "I agree too."))
    assert response.headers["Location"] == f"/lists/talk/archive/{reply.id}/"
    assert reply.status == PostStatus.QUEUED and reply.parent_id == answer.id
    assert reply.in_reply_to == answer.message_id
    response = page_of(client, response.headers["Location"])
    assert "I agree too." in text(response)


def test_a_bad_reply_changes_nothing(client, login, thread):
    _root, answer, _late = thread
    login(member_login())
    count = db.session.scalar(select(db.func.count()).select_from(Post))
    response = client.post(f"/lists/talk/archive/{answer.id}/reply",
                           data={"subject": "", "body": "Text"})
    assert response.status_code == 400 and "Enter a subject." in text(response)
    response = client.post(f"/lists/talk/archive/{answer.id}/reply",
                           data={"subject": "Re: x", "body": "Text"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(Post)) == count


def test_a_reply_that_must_wait_says_so(client, login):
    circle = make_list("circle", kind="discussion", posting_policy="subscribers")
    subscribe(circle, "reader@example.org")
    parent = web_post(circle, "Hello")
    login(member_login())
    response = page_of(client, f"/lists/circle/archive/{parent.id}/reply")
    assert "a moderator reads your reply before it goes out" in text(response)
    response = client.post(f"/lists/circle/archive/{parent.id}/reply",
                           data={"subject": "Re: Hello", "body": "Me too."})
    assert response.status_code == 200
    assert heading(response) == "Your reply waits for a moderator"
    assert db.session.scalar(select(Post.status).where(Post.body == "Me too.")) == "held"


def test_a_moderated_member_s_reply_waits_whatever_the_policy(client, login, thread):
    """The same standing as by e-mail: replying from the archive is no way round it."""
    _root, answer, _late = thread
    member = member_login()
    subscription = subscribe(answer.mailing_list, member.email)
    subscription.moderated = True
    subscription.status = "unsubscribed"  # leaving the list does not lift moderation
    db.session.commit()
    login(member)
    response = client.post(f"/lists/talk/archive/{answer.id}/reply",
                           data={"subject": "Re: Consultation", "body": "Moderated me."})
    assert response.status_code == 200
    assert heading(response) == "Your reply waits for a moderator"
    reply = db.session.scalar(select(Post).where(Post.body == "Moderated me."))
    assert reply.status == "held"
    assert reply.hold_reason == "The sender's subscription is on moderation."


@pytest.mark.parametrize("action", ["reject", "discard", "hold", "accept"])
def test_a_sender_rule_applies_to_archive_replies(client, login, action):
    circle = make_list("circle", kind="discussion", posting_policy="subscribers")
    subscribe(circle, "reader@example.org")
    parent = web_post(circle, "Hello")
    member = member_login()
    db.session.add(SenderRule(list_id=circle.id, email=member.email.upper(), action=action))
    db.session.commit()
    login(member)
    response = client.post(f"/lists/circle/archive/{parent.id}/reply",
                           data={"subject": "Re: Hello", "body": "Ruled."})
    status = db.session.scalar(select(Post.status).where(Post.body == "Ruled."))
    if action in ("reject", "discard"):
        assert response.status_code == 400 and status is None
        assert "decided not to accept your messages to it: nothing was sent" in \
            text(response)
    else:  # not a subscriber: only the moderators' "accept" lets the reply go at once
        assert status == {"hold": "held", "accept": "queued"}[action]


def test_no_reply_button_or_form_on_announcement_lists(client, login):
    news = make_list("news")
    post = web_post(news, "Newsletter")
    login(member_login())
    assert "Reply to the list" not in text(page_of(client, f"/lists/news/archive/{post.id}/"))
    assert client.get(f"/lists/news/archive/{post.id}/reply").status_code == 403
    response = client.post(f"/lists/news/archive/{post.id}/reply",
                           data={"subject": "Re: Newsletter", "body": "Thanks"})
    assert response.status_code == 403


def test_a_login_without_a_member_record_cannot_reply(client, login, create_user, thread):
    _root, answer, _late = thread
    login(create_user(email="someone@example.org"))
    assert client.get(f"/lists/talk/archive/{answer.id}/reply").status_code == 403
    client.post("/logout")
    response = client.get(f"/lists/talk/archive/{answer.id}/reply")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
