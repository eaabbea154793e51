"""The public list pages and a member's own subscriptions, as visitors, members and focal
contacts use them: the subscribe form, the confirmation and unsubscribe links (including
RFC 8058 one-click as a mail provider sends it), joining and leaving, and the archive."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.extensions import db
from coalition.mail import posting, services, subscriptions
from coalition.mail.models import Subscription
from coalition.mail.posting import PostInput
from coalition.members.services import login_of
from tests.factories import SYSTEM, make_member
from tests.mail.fixtures_public import confirmation_token, make_list, recipients, subscribe

ONE_CLICK = "List-Unsubscribe=One-Click"


def text(response) -> str:
    """The page's text, tags dropped and spaces collapsed, as a reader sees it."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.get_data(as_text=True),
                  flags=re.S)
    body = re.sub(r"</?(strong|em|a|span|time|code)\b[^>]*>", "", body)  # inline: no space
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def heading(response) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def subscription_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription))


def member_user(**overrides):
    member = make_member(login=True, **overrides)
    return member, login_of(member)


def fresh(subscription: Subscription) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, subscription.id)


def sent_post(mailing_list, subject: str = "Welcome", body: str = "Hello *everyone*."):
    """A post sent to the list, with one subscriber to send it to."""
    subscribe(mailing_list, f"reader-{mailing_list.name}@example.org")
    post = posting.compose(SYSTEM, mailing_list, PostInput(subject=subject, body=body,
                                                           body_format="markdown"))
    posting.send(SYSTEM, post)
    db.session.commit()
    return post


# --- the index and a list's page -------------------------------------------------------

def test_the_index_shows_lists_and_hides_archived_ones_from_visitors(client, login, focal):
    make_list("news", display_name="News and announcements")
    old = make_list("old", display_name="Old list")
    services.set_list_archived(SYSTEM, old, True)
    db.session.commit()
    page = text(client.get("/lists/"))
    assert "News and announcements" in page and "news@lists.coalition.test" in page
    assert "Old list" not in page and "New list" not in page
    assert client.get("/lists/old/").status_code == 404
    login(focal)
    page = text(client.get("/lists/"))
    assert "Old list Archived" in page and "New list" in page
    assert "Archived" in heading(client.get("/lists/old/"))


def test_the_index_shows_a_members_own_state(client, login):
    news = make_list("news", display_name="News")
    member, user = member_user()
    subscriptions.subscribe_self(user, news)
    db.session.commit()
    login(user)
    assert "You: active" in text(client.get("/lists/"))


def test_a_list_page_shows_its_address_and_the_subscribe_form(client):
    make_list("news", display_name="News", description="Monthly news.\n\nNo replies.")
    response = client.get("/lists/news/")
    page = text(response)
    assert heading(response) == "News"
    assert "news@lists.coalition.test · 0 subscribers" in page
    assert "Monthly news." in page and "No replies." in page
    assert 'action="/lists/news/subscribe"' in response.get_data(as_text=True)
    assert client.get("/lists/nothing-here/").status_code == 404


def test_a_members_only_list_asks_visitors_to_sign_in_instead(client):
    make_list("board", subscription_policy="members_only")
    response = client.get("/lists/board/")
    assert "This list is for members of Test Coalition. Sign in to subscribe." in text(response)
    assert "/lists/board/subscribe" not in response.get_data(as_text=True)


def test_a_closed_list_says_focal_contacts_add_subscribers(client):
    make_list("board", subscription_policy="closed")
    assert "Subscribers of this list are added by the focal contacts." in \
        text(client.get("/lists/board/"))


# --- the subscribe form ----------------------------------------------------------------

def test_a_bad_address_is_shown_on_the_form_and_nothing_is_stored(client, outbox):
    make_list("news")
    for address, message in [("", "Enter your e-mail address."),
                             ("someone@@example", "This is not a valid e-mail address"),
                             ("no-at-sign.example.org", "This is not a valid e-mail address")]:
        response = client.post("/lists/news/subscribe", data={"email": address})
        assert response.status_code == 400
        assert message in text(response)
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert subscription_count() == 0 and outbox() == []


def test_subscribing_sends_one_link_and_says_so(client, outbox):
    make_list("news", display_name="News")
    response = client.post("/lists/news/subscribe",
                           data={"email": "Visitor@Example.org", "name": "Vera"})
    assert heading(response) == "Check your e-mail"
    assert "Visitor@Example.org" in text(response)
    [message] = outbox()
    assert recipients([message]) == ["visitor@example.org"]
    subscription = db.session.scalars(select(Subscription)).one()
    assert (subscription.status, subscription.name) == ("pending", "Vera")


def test_the_page_says_the_same_whether_or_not_the_address_is_subscribed(client, outbox):
    news = make_list("news")
    subscribe(news, "reader@example.org")
    known = client.post("/lists/news/subscribe", data={"email": "reader@example.org"})
    unknown = client.post("/lists/news/subscribe", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert text(known).replace("reader@", "X@") == text(unknown).replace("nobody@", "X@")
    assert recipients(outbox()) == ["nobody@example.org"]  # the subscriber got nothing


def test_the_form_refuses_a_list_that_does_not_take_it(client, outbox):
    make_list("board", subscription_policy="members_only")
    response = client.post("/lists/board/subscribe", data={"email": "visitor@example.org"})
    assert response.status_code == 400
    assert subscription_count() == 0 and outbox() == []


def test_the_subscribe_address_opened_in_a_browser_goes_to_the_list(client):
    make_list("news")
    response = client.get("/lists/news/subscribe")
    assert response.status_code == 302 and response.headers["Location"] == "/lists/news/"


def test_the_form_needs_its_csrf_token(client, outbox):
    make_list("news")
    response = client.post("/lists/news/subscribe", data={"email": "visitor@example.org"},
                           csrf=False)
    assert response.status_code == 400
    assert subscription_count() == 0 and outbox() == []


# --- the confirmation link -------------------------------------------------------------

def request_link(client, outbox, list_name: str = "news") -> str:
    client.post(f"/lists/{list_name}/subscribe", data={"email": "visitor@example.org"})
    return f"/lists/confirm/{confirmation_token(outbox()[-1])}"


def test_opening_the_link_shows_a_button_and_confirms_nothing(client, outbox):
    make_list("news", display_name="News")
    link = request_link(client, outbox)
    response = client.get(link)
    assert heading(response) == "Confirm your subscription"
    assert "Subscribe visitor@example.org to News?" in text(response)
    assert "Confirm my subscription" in text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.scalars(select(Subscription)).one().status == "pending"


def test_pressing_the_button_subscribes(client, outbox):
    make_list("news", display_name="News")
    link = request_link(client, outbox)
    response = client.post(link)
    assert heading(response) == "Subscription confirmed"
    assert "visitor@example.org is subscribed to News." in text(response)
    assert db.session.scalars(select(Subscription)).one().status == "active"
    # The link opened again says so instead of offering the button.
    assert "is already confirmed for News" in text(client.get(link))


def test_on_a_moderated_list_the_page_says_a_focal_contact_approves(client, outbox):
    make_list("board", display_name="Board", subscription_policy="confirm_then_moderate")
    link = request_link(client, outbox, "board")
    response = client.post(link)
    assert "A focal contact approves new subscribers of Board" in text(response)
    subscription = db.session.scalars(select(Subscription)).one()
    assert subscription.status == "pending" and subscription.awaits_approval


def test_a_broken_link_says_so_and_changes_nothing(client, outbox):
    make_list("news")
    link = request_link(client, outbox)
    for bad in (link[:-4], "/lists/confirm/not-a-token"):
        for response in (client.get(bad), client.post(bad)):
            assert response.status_code == 400
            assert heading(response) == "This link cannot be used"
            assert "This confirmation link is not valid. Check that you copied all of it." \
                in text(response)
    assert db.session.scalars(select(Subscription)).one().status == "pending"


# --- the unsubscribe link --------------------------------------------------------------

def test_opening_the_unsubscribe_link_asks_first(client):
    news = make_list("news", display_name="News")
    subscription = subscribe(news, "reader@example.org")
    response = client.get(f"/lists/unsubscribe/{subscription.token}")
    assert heading(response) == "Unsubscribe from News"
    assert "Stop sending News to reader@example.org?" in text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert fresh(subscription).is_active


def test_pressing_unsubscribe_on_that_page_unsubscribes(client):
    news = make_list("news", display_name="News")
    subscription = subscribe(news, "reader@example.org")
    response = client.post(f"/lists/unsubscribe/{subscription.token}")  # the page's form
    assert heading(response) == "Unsubscribed"
    assert "reader@example.org no longer receives News." in text(response)
    assert fresh(subscription).status == "unsubscribed"
    again = client.get(f"/lists/unsubscribe/{subscription.token}")
    assert "reader@example.org is not subscribed to this list." in text(again)


def test_a_one_click_post_unsubscribes_without_session_or_csrf_token(app):
    """As a mail provider sends it (RFC 8058): no cookies, no token, just the body, as
    application/x-www-form-urlencoded (or multipart/form-data, which RFC 8058 allows)."""
    news = make_list("news")
    by_form = subscribe(news, "reader@example.org")
    by_multipart = subscribe(news, "other@example.org")
    provider = app.test_client()  # no cookies: it never opened a page of the site
    response = provider.post(f"/lists/unsubscribe/{by_form.token}", data=ONE_CLICK,
                             csrf=False, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "session=" not in response.headers.get("Set-Cookie", "")
    response = provider.post(f"/lists/unsubscribe/{by_multipart.token}",
                             data={"List-Unsubscribe": "One-Click"}, csrf=False,
                             content_type="multipart/form-data")
    assert response.status_code == 200
    assert fresh(by_form).status == fresh(by_multipart).status == "unsubscribed"
    trail = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions", AuditEvent.action == "unsubscribe")).all()
    assert [event.summary for event in trail] == ["one-click", "one-click"]
    # A second one-click (providers retry) answers the same and changes nothing.
    assert provider.post(f"/lists/unsubscribe/{by_form.token}", data=ONE_CLICK, csrf=False,
                         content_type="application/x-www-form-urlencoded").status_code == 200
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "unsubscribe")).all()) == 2


def test_an_unknown_unsubscribe_token_is_a_404_page(client):
    subscribe(make_list("news"), "reader@example.org")
    for response in (client.get("/lists/unsubscribe/no-such-token"),
                     client.post("/lists/unsubscribe/no-such-token", data=ONE_CLICK,
                                 csrf=False,
                                 content_type="application/x-www-form-urlencoded")):
        assert response.status_code == 404
        assert "This unsubscribe link is not valid." in text(response)
    assert db.session.scalars(select(Subscription)).one().is_active


# --- a member's own subscriptions ------------------------------------------------------

def test_my_lists_needs_a_login(client):
    response = client.get("/lists/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_my_lists_shows_what_a_member_can_join_and_is_on(client, login):
    news = make_list("news", display_name="News")
    make_list("board", display_name="Board", subscription_policy="closed")
    member, user = member_user()
    subscribe(news, user.email, member=member)
    login(user)
    page = text(client.get("/lists/mine"))
    assert "News Active Pause delivery of News Unsubscribe from News" in page
    assert "Board" not in page  # closed, and not on it


def test_my_lists_without_a_member_record(client, login, member):
    make_list("news")
    login(member)
    assert "your login has no member record" in text(client.get("/lists/mine"))


def test_the_profile_links_to_my_lists(client, login):
    _member, user = member_user()
    login(user)
    assert 'href="/lists/mine"' in client.get("/members/me").get_data(as_text=True)


def test_a_member_joins_pauses_and_leaves_a_list(client, login):
    news = make_list("news", display_name="News")
    member, user = member_user()
    login(user)
    response = client.post("/lists/news/join", data={"next": "mine"})
    assert response.headers["Location"] == "/lists/mine"
    assert "You are subscribed to News." in text(client.get("/lists/mine"))
    subscription = services.own_subscription(user, news)
    assert subscription.is_active and subscription.member_id == member.id

    response = client.post("/lists/news/delivery", data={"enabled": "0"})
    assert response.headers["Location"] == "/lists/news/"
    page = text(client.get("/lists/news/"))
    assert "Delivery of News is paused: you stay subscribed." in page
    assert "with delivery paused" in page
    assert not fresh(subscription).delivery_enabled
    client.post("/lists/news/delivery", data={"enabled": "1"})
    assert fresh(subscription).delivery_enabled

    client.post("/lists/news/leave", data={"next": "mine"})
    assert "You are unsubscribed from News." in text(client.get("/lists/mine"))
    assert fresh(subscription).status == "unsubscribed"


def test_joining_a_moderated_list_says_it_waits(client, login):
    make_list("board", display_name="Board", subscription_policy="confirm_then_moderate")
    _member, user = member_user()
    login(user)
    client.post("/lists/board/join")
    response = client.get("/lists/board/")
    page = text(response)
    assert "a focal contact approves new subscribers of this list" in page
    assert "Your subscription waits for a focal contact's approval." in page
    body = response.get_data(as_text=True)
    assert "/lists/board/subscribe" not in body and "/lists/board/join" not in body


def test_a_visitor_is_sent_to_sign_in(client):
    subscription = subscribe(make_list("news"), "reader@example.org")
    for action in ("join", "leave", "delivery"):
        response = client.post(f"/lists/news/{action}", data={"enabled": "0"})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert fresh(subscription).is_active and fresh(subscription).delivery_enabled
    assert subscription_count() == 1


def test_a_member_cannot_change_someone_elses_subscription(client, login):
    news = make_list("news")
    other, _other_user = member_user()
    theirs = subscribe(news, other.email, member=other)
    _member, user = member_user()
    login(user)
    assert client.post("/lists/news/leave").status_code == 404
    assert client.post("/lists/news/delivery", data={"enabled": "0"}).status_code == 404
    theirs = fresh(theirs)
    assert theirs.is_active and theirs.delivery_enabled


def test_a_member_cannot_join_a_closed_list_nor_a_login_without_record(client, login,
                                                                       member):
    make_list("board", subscription_policy="closed")
    make_list("news")
    _member, user = member_user()
    login(user)
    assert client.post("/lists/board/join").status_code == 403
    client.post("/logout")
    login(member)  # a login with no member record
    assert client.post("/lists/news/join").status_code == 403
    assert subscription_count() == 0


def test_delivery_of_a_subscription_not_active_cannot_be_changed(client, login):
    news = make_list("news")
    member, user = member_user()
    own = subscribe(news, user.email, member=member)
    subscriptions.unsubscribe(None, own, "link")
    db.session.commit()
    login(user)
    assert client.post("/lists/news/delivery", data={"enabled": "0"}).status_code == 404
    assert fresh(own).delivery_enabled


# --- the archive -----------------------------------------------------------------------

def test_a_public_archive_is_read_by_anyone(client):
    news = make_list("news", display_name="News")
    post = sent_post(news, "Welcome <all>", "Hello *everyone*.\n\n<script>alert(1)</script>")
    response = client.get("/lists/news/archive/")
    assert "Welcome <all>" in text(response)
    response = client.get(f"/lists/news/archive/{post.id}")
    assert heading(response) == "Welcome <all>"
    body = response.get_data(as_text=True)
    assert "<em>everyone</em>" in body and "<script>alert" not in body
    assert "Delivery of this message" not in text(response)  # progress: focal contacts


def test_drafts_and_posts_of_other_lists_are_not_in_the_archive(client):
    news = make_list("news")
    other = make_list("other")
    draft = posting.compose(SYSTEM, news, PostInput(subject="Draft", body="Not yet."))
    elsewhere = sent_post(other, "Elsewhere")
    db.session.commit()
    assert "Nothing has been sent to this list yet." in text(client.get("/lists/news/archive/"))
    assert client.get(f"/lists/news/archive/{draft.id}").status_code == 404
    assert client.get(f"/lists/news/archive/{elsewhere.id}").status_code == 404


def test_a_members_archive_asks_visitors_to_sign_in(client, login, member):
    board = make_list("board", archive_visibility="members")
    post = sent_post(board)
    for path in ("/lists/board/archive/", f"/lists/board/archive/{post.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    login(member)  # a login without a member record is not a member
    assert client.get("/lists/board/archive/").status_code == 404
    client.post("/logout")
    _member, user = member_user()
    login(user)
    assert "Welcome" in text(client.get("/lists/board/archive/"))
    assert "Archive of messages" in text(client.get("/lists/board/"))


def test_an_unarchived_list_shows_its_messages_only_to_focal_contacts(client, login, focal):
    quiet = make_list("quiet", archive_visibility="none")
    post = sent_post(quiet)
    assert client.get("/lists/quiet/archive/").status_code == 404
    assert "Archive of messages" not in text(client.get("/lists/quiet/"))
    _member, user = member_user()
    login(user)
    assert client.get("/lists/quiet/archive/").status_code == 404
    assert client.get(f"/lists/quiet/archive/{post.id}").status_code == 404
    client.post("/logout")
    login(focal)
    assert "Welcome" in text(client.get("/lists/quiet/archive/"))
    response = client.get(f"/lists/quiet/archive/{post.id}")
    assert "Delivery of this message" in text(response)
