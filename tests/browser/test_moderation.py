"""The issue's "done when", as a focal contact does it, with JavaScript off: a
non-member's e-mail, handed over by LMTP, waits in the list's moderation queue; approved
there, it goes to every subscriber through the outbox and is in the archive."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.mail.models import Delivery, Post
from tests.browser.steps import sign_in
from tests.factories import PASSWORD
from tests.mail.fixtures_inbound import DOMAIN, message, running_server
from tests.mail.fixtures_public import make_list, subscribe


@pytest.fixture
def no_js(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def lmtp(app):
    yield from running_server(app)


def test_a_held_message_is_approved_on_the_web_and_goes_out(no_js: Page, lmtp, focal):
    talk = make_list("talk", display_name="Talk", kind="discussion",
                     posting_policy="subscribers", archive_visibility="public")
    for n in range(3):
        subscribe(talk, f"reader{n}@example.net", f"Reader {n}")
    replies = lmtp.send(message(sender="Dana Outsider <dana@elsewhere.example>",
                                to=f"talk@{DOMAIN}", subject="Joining your session?",
                                body="May I present our helpline study?\n",
                                message_id="<dana@elsewhere.example>"),
                        [f"talk@{DOMAIN}"], sender="dana@elsewhere.example")
    assert replies[f"talk@{DOMAIN}"][0] == 250
    focal_email, focal_id = focal.email, focal.id
    db.session.commit()  # SQLite: the live server writes next; nothing here reads until then

    page = no_js
    sign_in(page, focal_email, PASSWORD)
    page.goto("/lists/talk/")
    page.get_by_role("link", name="Moderation queue (1 held)").click()
    page.get_by_role("link", name="Joining your session?", exact=True).click()
    expect(page.get_by_text("May I present our helpline study?")).to_be_visible()
    expect(page.get_by_text("may not post to this list directly")).to_be_visible()
    page.get_by_role("button", name="Approve: send it to the list").click()
    expect(page.locator(".flash").first).to_contain_text("Joining your session?")

    db.session.expire_all()
    post = db.session.scalar(select(Post).where(Post.subject == "Joining your session?"))
    assert post.status == "queued" and post.moderated_by_id == focal_id
    copies = db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.post_id == post.id))
    assert copies == 3

    page.goto("/lists/talk/archive/")
    page.get_by_role("link", name="Joining your session?").first.click()  # its thread
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thread: Joining your session?")
    expect(page.locator(".message-body")).to_contain_text("May I present our helpline study?")
    page.get_by_role("article").get_by_role("link", name="Joining your session?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Joining your session?")
    page.goto("/lists/talk/moderation/")
    expect(page.get_by_text("Joining your session?")).to_have_count(0)
