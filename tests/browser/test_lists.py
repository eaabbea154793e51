"""Mailing lists end to end in a browser: a visitor subscribes and confirms from the
e-mail; a post is delivered by the worker and its footer's link unsubscribes; and the
one-click POST a mail provider sends (RFC 8058) unsubscribes without cookies or a page."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from coalition.extensions import db
from coalition.mail import posting
from coalition.mail.delivery import Options, Worker
from coalition.mail.models import Subscription
from coalition.mail.posting import PostInput
from tests.browser.steps import wait_for_mail
from tests.factories import SYSTEM
from tests.mail.fixtures_public import make_list, subscribe

UNSUBSCRIBE_LINK = re.compile(r"http://\S+/lists/unsubscribe/[\w-]+")


def status_of(email: str) -> str:
    """The subscription's status as the live server left it. The read's transaction ends
    at once: on SQLite, a test's open transaction would keep the server from writing."""
    db.session.rollback()
    status = db.session.scalar(select(Subscription.status).where(Subscription.email == email))
    db.session.rollback()
    return status


def send_and_deliver(app, mailing_list, subject: str) -> None:
    """A post to the list, queued and then delivered by a worker in this process (into
    the file outbox, as `coalition mail deliver --once` would)."""
    post = posting.compose(SYSTEM, mailing_list, PostInput(subject=subject,
                                                           body="See you at the IGF."))
    posting.send(SYSTEM, post)
    db.session.commit()
    tally = Worker(app, Options(once=True, connections=1)).run()
    assert tally.failed == tally.retry == 0 and tally.sent > 0


def delivered_to(outbox, email: str, subject: str):
    for message in outbox():
        if message["Subject"] == subject and message["X-Envelope-To"] == f"<{email}>":
            return message
    raise AssertionError(f"no {subject!r} for {email} in the outbox")


def test_a_visitor_subscribes_and_confirms_from_the_e_mail(page: Page, outbox):
    make_list("news", display_name="Coalition news")
    page.goto("/lists/")
    page.get_by_role("link", name="Coalition news").click()
    page.get_by_label("E-mail address").fill("vera@example.org")
    page.get_by_label("Your name (optional)").fill("Vera Visitor")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert status_of("vera@example.org") == "pending"

    [message] = wait_for_mail(outbox)
    assert message["To"].addresses[0].addr_spec == "vera@example.org"
    link = re.search(r"http://\S+/lists/confirm/\S+", message.get_content()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    assert status_of("vera@example.org") == "pending"  # opening the link is not enough
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    expect(page.get_by_role("status")).to_contain_text(
        "vera@example.org is subscribed to Coalition news")
    assert status_of("vera@example.org") == "active"


def test_the_unsubscribe_link_in_a_delivered_message_unsubscribes(page: Page, live_server,
                                                                  outbox):
    news = make_list("news", display_name="Coalition news")
    subscribe(news, "rita@example.org", "Rita Reader")
    subscribe(news, "other@example.org")
    send_and_deliver(live_server.app, news, "June news")
    message = delivered_to(outbox, "rita@example.org", "June news")
    footer = message.get_body(preferencelist=("plain",)).get_content()
    link = UNSUBSCRIBE_LINK.search(footer).group(0)
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Unsubscribe from Coalition news")
    assert status_of("rita@example.org") == "active"  # opening the link is not enough
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    expect(page.get_by_role("status")).to_contain_text(
        "rita@example.org no longer receives Coalition news")
    assert status_of("rita@example.org") == "unsubscribed"
    assert status_of("other@example.org") == "active"


def test_a_one_click_post_unsubscribes_as_a_mail_provider_sends_it(browser: Browser,
                                                                   live_server, outbox):
    news = make_list("news", display_name="Coalition news")
    subscribe(news, "rita@example.org", "Rita Reader")
    send_and_deliver(live_server.app, news, "June news")
    message = delivered_to(outbox, "rita@example.org", "June news")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link = re.match(r"<([^>]+)>", message["List-Unsubscribe"]).group(1)

    provider = browser.new_context()  # never opened a page of the site: no cookies
    try:
        assert provider.cookies() == []
        response = provider.request.post(https_link,
                                         form={"List-Unsubscribe": "One-Click"})
        assert response.ok, response.status
        assert response.headers["content-type"].startswith("text/html")
    finally:
        provider.close()
    assert status_of("rita@example.org") == "unsubscribed"
