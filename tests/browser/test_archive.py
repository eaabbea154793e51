"""The archive with JavaScript off, as a visitor and as a member: a month, a thread, a
message sent by e-mail (its script shown as text, never run), an attachment downloaded,
a search; and a member's reply from the archive reaching the list's thread."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail.models import Post
from coalition.members.models import Member
from coalition.members.services import login_of
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, make_member
from tests.mail.fixtures_public import make_list, subscribe
from tests.mail.test_archive import JULY, JUNE, PDF, email_post, web_post


@pytest.fixture
def no_js(browser: Browser, live_server):
    """A page in a browser context with JavaScript turned off."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


@pytest.fixture
def talk(app):
    mailing_list = make_list("talk", display_name="Talk", kind="discussion",
                             posting_policy="members")
    subscribe(mailing_list, "reader@example.org", "Rita Reader")
    root = web_post(mailing_list, "Consultation on helplines", "Views by Friday?", at=JUNE)
    email_post(mailing_list, "Re: Consultation on helplines",
               'Agreed.\n<script>alert("from the sender")</script>\n'
               '<b onclick="alert(2)">bold?</b> https://example.org/plan',
               at=JUNE.replace(day=12), parent=root,
               attachments=[("plan.pdf", "application/pdf", PDF)])
    web_post(mailing_list, "Another topic", "Nothing to do with it.", at=JULY)
    return mailing_list


def test_a_visitor_browses_reads_downloads_and_searches(no_js: Page, talk, tmp_path):
    page = no_js
    page.goto("/lists/talk/archive/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive of Talk")
    page.get_by_role("link", name="June 2026", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Talk: June 2026")
    page.get_by_role("link", name="By date").click()
    expect(page.get_by_text("By date", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="By thread").click()
    page.get_by_role("link", name="The whole thread (2 messages)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thread: Consultation on helplines")
    page.get_by_role("article").get_by_role("link", name="Re: Consultation on helplines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re: Consultation on helplines")
    # The sender's markup is text on the page, and nothing of it runs.
    body = page.locator(".message-body")
    expect(body).to_contain_text('<script>alert("from the sender")</script>')
    expect(body).to_contain_text('<b onclick="alert(2)">bold?</b>')
    assert page.locator(".message-body script, .message-body b").count() == 0
    expect(body.get_by_role("link", name="https://example.org/plan")).to_have_attribute(
        "rel", "nofollow ugc noopener")
    with page.expect_download() as download:
        page.get_by_role("link", name="plan.pdf").click()
    target = tmp_path / "plan.pdf"
    download.value.save_as(target)
    assert download.value.suggested_filename == "plan.pdf"
    assert target.read_bytes() == PDF
    page.goto("/lists/talk/archive/")
    page.get_by_label("Search the archive").fill("friday views")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 message found")).to_be_visible()
    page.get_by_role("link", name="Consultation on helplines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultation on helplines")
    expect(page.get_by_role("link", name="Reply to the list")).to_have_count(0)
    assert page.dialogs == []


def test_a_member_replies_from_the_archive(no_js: Page, talk):
    make_member(login=True, name="Mateo Member", email="mateo@example.org")
    db.session.commit()
    parent_id = db.session.scalar(select(Post.id).where(
        Post.subject == "Consultation on helplines"))
    user_id = login_of(db.session.scalar(select(Member).where(
        Member.email == "mateo@example.org"))).id
    # The test's read ends at once: on SQLite it would keep the server from writing.
    db.session.rollback()
    sign_in(no_js, "mateo@example.org", PASSWORD)
    no_js.goto(f"/lists/talk/archive/{parent_id}/")
    no_js.get_by_role("link", name="Reply to the list").click()
    expect(no_js.get_by_label("Subject")).to_have_value("Re: Consultation on helplines")
    expect(no_js.get_by_label("Message")).to_have_value(
        "On 10 Jun 2026 09:00 UTC, Test Coalition wrote:\n> Views by Friday?\n\n")
    no_js.get_by_label("Message").fill("Yes, by Friday.")
    no_js.get_by_role("button", name="Send the reply").click()
    expect(no_js.get_by_role("heading", level=1)).to_have_text("Re: Consultation on helplines")
    expect(no_js.locator(".message-body")).to_have_text("Yes, by Friday.")
    expect(no_js.get_by_text("In reply to")).to_be_visible()
    db.session.rollback()
    reply = db.session.scalar(select(Post).where(Post.body == "Yes, by Friday."))
    assert reply.status == "queued" and reply.parent_id == parent_id
    assert reply.author_id == user_id and reply.in_reply_to is not None
