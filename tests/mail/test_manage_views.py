"""The focal contact's list pages: creating and editing a list, archiving it, its
subscribers (filters, search, pages, every action) and who may do any of it."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.extensions import db
from coalition.mail import imports, services, subscriptions
from coalition.mail.models import MailingList, Subscription, SubscriptionStatus
from tests.factories import SYSTEM
from tests.mail.fixtures_manage import make_list, subscribe, text_of


def list_fields(name: str = "board-announce", **overrides) -> dict:
    values = {"name": name, "display_name": "Board announcements",
              "description": "News from the board.", "kind": "announce",
              "subscription_policy": "open", "posting_policy": "focal_contacts",
              "reply_to": "sender", "reply_to_address": "", "archive_visibility": "public",
              "subject_prefix": "[Board]", "footer": "Sent by the board."}
    values.update(overrides)
    return values


def lists_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MailingList))


@pytest.fixture
def member_client(client, member, login):
    login(member)
    return client


# --- creating and editing a list --------------------------------------------------------

def test_the_new_list_form_says_where_the_address_lives(focal_client):
    page = text_of(focal_client.get("/lists/new"))
    assert "The part before @lists.coalition.test" in page
    assert "Replies go to a fixed address" in page and 'name="reply_to_address"' in page
    # Sensible defaults: an announcement list, open with double opt-in, focal contacts post.
    for field, value in (("kind", "announce"), ("subscription_policy", "open"),
                         ("posting_policy", "focal_contacts"), ("archive_visibility",
                                                                "public")):
        assert re.search(rf'<input checked id="{field}-\d"[^>]*value="{value}"', page), field


def test_creating_a_list_shows_it_and_audits_it(focal_client, db):
    response = focal_client.post("/lists/new", data=list_fields(
        subscribe_members="y", reply_to="address", reply_to_address="Board@Example.org"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/lists/board-announce/"
    mailing_list = db.session.scalar(select(MailingList))
    assert (mailing_list.name, mailing_list.display_name, mailing_list.subject_prefix) == \
        ("board-announce", "Board announcements", "[Board]")
    assert mailing_list.subscribe_members is True
    assert mailing_list.reply_to_address == "board@example.org"
    page = text_of(focal_client.get("/lists/board-announce/"))
    assert "The list Board announcements was created: board-announce@lists.coalition.test" \
        in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type ==
                                                       "mailing_lists"))
    assert event.action == "create" and event.actor_label.startswith("focal@example.org")


BAD_NAMES = [
    ("Board News", "Use lower-case letters, digits, dots, hyphens and underscores"),
    ("-board", "starting and ending with a letter or digit"),
    ("mine", "“mine” is kept for the site's own pages."),
    ("new", "“new” is kept for the site's own pages."),
    ("board-owner", "This ending is kept for the list's own addresses"),
    ("board-bounces", "This ending is kept for the list's own addresses"),
    ("", "Enter the list's address (the part before the @)."),
]


def test_a_bad_list_name_is_refused_with_a_reason(focal_client):
    for name, message in BAD_NAMES:
        response = focal_client.post("/lists/new", data=list_fields(name))
        assert response.status_code == 400, name
        page = text_of(response)
        assert message in html.unescape(page), name
        [name_input] = re.findall(r'<input[^>]*name="name"[^>]*>', page)
        assert 'aria-invalid="true"' in name_input
    assert lists_count() == 0


def test_a_second_list_cannot_take_the_same_address(focal_client):
    make_list("board-announce")
    response = focal_client.post("/lists/new", data=list_fields("Board-Announce"))
    assert response.status_code == 400
    assert "Another list already has this address." in text_of(response)
    assert lists_count() == 1


def test_replies_to_a_fixed_address_need_the_address(focal_client):
    response = focal_client.post("/lists/new", data=list_fields(reply_to="address"))
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter an e-mail address." in page and 'id="reply_to_address-error"' in page
    assert lists_count() == 0


def test_the_settings_page_is_filled_in_and_saves_changes(focal_client, db):
    mailing_list = make_list("board-announce", display_name="Board", footer="Old footer")
    page = text_of(focal_client.get("/lists/board-announce/settings"))
    assert 'value="Board"' in page and "Old footer</textarea>" in page
    assert "board-announce@lists.coalition.test" in page
    response = focal_client.post("/lists/board-announce/settings", data=list_fields(
        "board-news", display_name="Board news", kind="discussion", posting_policy="members"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/lists/board-news/settings"
    db.session.refresh(mailing_list)
    assert (mailing_list.name, mailing_list.kind, mailing_list.posting_policy) == \
        ("board-news", "discussion", "members")
    assert "The list&#39;s settings were saved." in text_of(
        focal_client.get("/lists/board-news/settings"))
    assert focal_client.get("/lists/board-announce/settings").status_code == 404


def test_settings_with_errors_change_nothing(focal_client, db):
    mailing_list = make_list("board-announce", display_name="Board")
    make_list("board-other")
    response = focal_client.post("/lists/board-announce/settings",
                                 data=list_fields("board-other", display_name="Changed"))
    assert response.status_code == 400
    assert "Another list already has this address." in text_of(response)
    db.session.refresh(mailing_list)
    assert (mailing_list.name, mailing_list.display_name) == ("board-announce", "Board")


def test_archiving_hides_the_list_and_restoring_brings_it_back(focal_client, anonymous, db):
    mailing_list = make_list("board-announce")
    response = focal_client.post("/lists/board-announce/settings/archived",
                                 data={"archived": "1"})
    assert response.headers["Location"] == "/lists/board-announce/settings"
    db.session.refresh(mailing_list)
    assert mailing_list.is_archived
    page = text_of(focal_client.get("/lists/board-announce/settings"))
    assert "is archived: it takes no messages and no subscribers" in page
    assert "Restore the list</button>" in page
    assert anonymous.get("/lists/board-announce/").status_code == 404
    focal_client.post("/lists/board-announce/settings/archived", data={"archived": "0"})
    db.session.refresh(mailing_list)
    assert not mailing_list.is_archived
    assert anonymous.get("/lists/board-announce/").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "mailing_lists").order_by(AuditEvent.id)).all()
    assert actions == ["create", "archive", "restore"]


def test_archiving_needs_a_clear_yes_or_no(focal_client, db):
    mailing_list = make_list("board-announce")
    assert focal_client.post("/lists/board-announce/settings/archived",
                             data={"archived": "yes"}).status_code == 400
    assert focal_client.post("/lists/board-announce/settings/archived").status_code == 400
    db.session.refresh(mailing_list)
    assert not mailing_list.is_archived


# --- who may -----------------------------------------------------------------------------

MANAGE_PAGES = ("/lists/new", "/lists/board-announce/settings",
                "/lists/board-announce/subscribers", "/lists/board-announce/subscribers/import")


def test_anonymous_visitors_are_sent_to_sign_in_and_members_refused(anonymous, app,
                                                                  member_client):
    make_list("board-announce")
    for path in MANAGE_PAGES:
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
        assert member_client.get(path).status_code == 403, path


def test_members_can_change_nothing(member_client, db):
    mailing_list = make_list("board-announce", display_name="Board")
    [subscription] = subscribe(mailing_list, "ama@example.org")
    base = "/lists/board-announce"
    posts = [("/lists/new", list_fields("board-sneaky")),
             (f"{base}/settings", list_fields(display_name="Hijacked")),
             (f"{base}/settings/archived", {"archived": "1"}),
             (f"{base}/subscribers", {"email": "sneaky@example.org"}),
             (f"{base}/subscribers/{subscription.id}/remove", {}),
             (f"{base}/subscribers/{subscription.id}/delivery", {"enabled": "0"}),
             (f"{base}/subscribers/import",
              {"file": (io.BytesIO(b"email\nsneaky@example.org\n"), "a.csv")})]
    for path, data in posts:
        assert member_client.post(path, data=data).status_code == 403, path
    db.session.refresh(mailing_list)
    db.session.refresh(subscription)
    assert (mailing_list.display_name, mailing_list.is_archived) == ("Board", False)
    assert subscription.is_active and subscription.delivery_enabled
    assert lists_count() == 1
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_an_unknown_list_is_not_found(focal_client):
    for path in ("/lists/nothing-here/settings", "/lists/nothing-here/subscribers",
                 "/lists/nothing-here/subscribers/import"):
        assert focal_client.get(path).status_code == 404, path
    assert focal_client.post("/lists/nothing-here/settings/archived",
                             data={"archived": "1"}).status_code == 404


# --- subscribers ---------------------------------------------------------------------------

@pytest.fixture
def crowded(app):
    """A list with a subscription in every state."""
    mailing_list = make_list("board-announce", subscription_policy="confirm_then_moderate")
    active, paused, disabled, gone = subscribe(
        mailing_list, "ama@example.org", "paula@example.org", "dora@example.org",
        "gone@example.org")
    subscriptions.set_delivery(SYSTEM, paused, False)
    disabled.status = SubscriptionStatus.DISABLED.value
    disabled.bounce_score = 5.0
    subscriptions.unsubscribe(None, gone, "link")
    waiting = subscriptions.request_subscription(mailing_list, "wanda@example.org",
                                            "Wanda Waiting").subscription
    waiting.confirmed_at = waiting.created_at  # confirmed: now it waits for approval
    pending = subscriptions.request_subscription(mailing_list, "pat@example.org").subscription
    db.session.commit()
    return {"list": mailing_list, "active": active, "paused": paused, "disabled": disabled,
            "gone": gone, "waiting": waiting, "pending": pending}


def rows(page: str) -> list[str]:
    """The addresses in the subscribers table, in order."""
    return re.findall(r'<th scope="row">([^<]+@[^<]+)</th>', page)


def test_the_subscribers_page_counts_each_status(focal_client, crowded):
    page = text_of(focal_client.get("/lists/board-announce/subscribers"))
    counts = dict(re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a></th>\s*<td>(\d+)</td>', page))
    assert counts == {"All": "6", "Active, receiving messages": "1",
                      "Active, delivery paused": "1", "Waiting for approval": "1",
                      "Waiting for confirmation": "1", "Disabled (bounces)": "1",
                      "Unsubscribed": "1"}
    assert "1 subscriber would receive a message sent now." in page
    assert rows(page) == ["ama@example.org", "dora@example.org", "gone@example.org",
                          "pat@example.org", "paula@example.org", "wanda@example.org"]
    assert "5.0" in page  # the bounce score


def test_the_status_filter_shows_one_kind(focal_client, crowded):
    for status, expected in (
            ("active", ["ama@example.org"]), ("paused", ["paula@example.org"]),
            ("awaiting", ["wanda@example.org"]), ("pending", ["pat@example.org"]),
            ("disabled", ["dora@example.org"]), ("unsubscribed", ["gone@example.org"]),
            ("nonsense", None)):
        page = text_of(focal_client.get(f"/lists/board-announce/subscribers?status={status}"))
        assert rows(page) == (expected or rows(text_of(focal_client.get(
            "/lists/board-announce/subscribers")))), status


def test_search_finds_a_piece_of_the_address_or_name_in_any_case(focal_client, crowded):
    page = text_of(focal_client.get("/lists/board-announce/subscribers?q=WANDA+waiting"))
    assert rows(page) == ["wanda@example.org"]
    assert "1 subscription, matching “WANDA waiting”" in page
    page = text_of(focal_client.get("/lists/board-announce/subscribers?q=PA"))
    assert rows(page) == ["pat@example.org", "paula@example.org"]
    # A wildcard typed in the box is a character, not a wildcard.
    assert rows(text_of(focal_client.get("/lists/board-announce/subscribers?q=%25"))) == []
    assert rows(text_of(focal_client.get(
        "/lists/board-announce/subscribers?q=a&status=active"))) == ["ama@example.org"]


def test_a_long_list_is_paged(focal_client):
    mailing_list = make_list("board-announce")
    imports.import_subscribers(SYSTEM, mailing_list, "\n".join(
        ["email", *(f"person{n:03d}@example.org" for n in range(55))]).encode())
    db.session.commit()
    first = text_of(focal_client.get("/lists/board-announce/subscribers"))
    assert len(rows(first)) == 50 and "Page 1 of 2" in first
    second = text_of(focal_client.get("/lists/board-announce/subscribers?page=2"))
    assert rows(second) == [f"person{n:03d}@example.org" for n in range(50, 55)]


def test_adding_a_subscriber_subscribes_at_once(focal_client, db, outbox):
    make_list("board-announce")
    response = focal_client.post("/lists/board-announce/subscribers",
                                 data={"email": "New.Person@Example.org", "name": "New"})
    assert response.headers["Location"] == "/lists/board-announce/subscribers"
    subscription = db.session.scalar(select(Subscription))
    assert (subscription.email, subscription.status, subscription.source) == \
        ("new.person@example.org", "active", "admin")
    assert "new.person@example.org is subscribed." in text_of(
        focal_client.get(response.headers["Location"]))
    assert outbox() == []  # the focal contact vouches: no confirmation e-mail


def test_adding_a_bad_or_present_address_says_why(focal_client, db):
    subscribe(make_list("board-announce"), "ama@example.org")
    response = focal_client.post("/lists/board-announce/subscribers",
                                 data={"email": "not an address"})
    assert response.status_code == 400
    assert "This is not a valid e-mail address" in text_of(response)
    response = focal_client.post("/lists/board-announce/subscribers",
                                 data={"email": "AMA@example.org"})
    assert response.status_code == 400
    assert "ama@example.org is already subscribed." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_an_archived_list_takes_no_new_subscriber(focal_client, db):
    mailing_list = make_list("board-announce")
    services.set_list_archived(SYSTEM, mailing_list, True)
    db.session.commit()
    page = text_of(focal_client.get("/lists/board-announce/subscribers"))
    assert "The list is archived: it takes no new subscribers." in page
    response = focal_client.post("/lists/board-announce/subscribers",
                                 data={"email": "new@example.org"})
    assert response.status_code == 400 and "archived" in text_of(response)


def action(client, crowded, key, verb, **data):
    subscription = crowded[key]
    response = client.post(f"/lists/board-announce/subscribers/{subscription.id}/{verb}",
                           data=data)
    db.session.refresh(subscription)
    return response, subscription


def test_removing_unsubscribes_and_keeps_the_row(focal_client, crowded):
    response, subscription = action(focal_client, crowded, "active", "remove")
    assert response.status_code == 302
    assert subscription.status == "unsubscribed" and subscription.unsubscribed_at
    assert "ama@example.org is unsubscribed (kept in the list&#39;s history)." in text_of(
        focal_client.get(response.headers["Location"]))
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions", AuditEvent.entity_id == str(subscription.id),
        AuditEvent.action == "unsubscribe"))
    assert event.summary == subscriptions.REMOVED_BY_MANAGER


def test_approving_activates_a_subscription_waiting_for_approval(focal_client, crowded):
    page = text_of(focal_client.get("/lists/board-announce/subscribers?status=awaiting"))
    assert "Approve<span class=\"visually-hidden\"> wanda@example.org</span>" in page
    response, subscription = action(focal_client, crowded, "waiting", "approve")
    assert subscription.status == "active"
    # Approving one that does not wait says so and changes nothing.
    response, subscription = action(focal_client, crowded, "pending", "approve")
    assert subscription.status == "pending"
    assert "This subscription is not waiting for approval." in text_of(
        focal_client.get(response.headers["Location"]))


def test_pausing_and_resuming_delivery(focal_client, crowded):
    response, subscription = action(focal_client, crowded, "active", "delivery", enabled="0")
    assert subscription.is_active and not subscription.delivery_enabled
    assert "Delivery to ama@example.org is paused; they stay subscribed." in text_of(
        focal_client.get(response.headers["Location"]))
    _, subscription = action(focal_client, crowded, "active", "delivery", enabled="1")
    assert subscription.delivery_enabled
    response, _ = action(focal_client, crowded, "active", "delivery", enabled="maybe")
    assert response.status_code == 400
    response, subscription = action(focal_client, crowded, "gone", "delivery", enabled="1")
    assert "is not subscribed, so there is no delivery to pause" in text_of(
        focal_client.get(response.headers["Location"]))


def test_reenabling_a_subscription_disabled_by_bounces(focal_client, crowded):
    page = text_of(focal_client.get("/lists/board-announce/subscribers?status=disabled"))
    assert "Re-enable<span" in page
    response, subscription = action(focal_client, crowded, "disabled", "reenable")
    assert subscription.status == "active" and subscription.bounce_score == 0
    response, subscription = action(focal_client, crowded, "active", "reenable")
    assert "Only a subscription disabled by bounces can be re-enabled." in text_of(
        focal_client.get(response.headers["Location"]))


def test_after_an_action_the_page_keeps_its_filter_and_search(focal_client, crowded):
    response, _ = action(focal_client, crowded, "paused", "delivery", enabled="1",
                         status="paused", q="paula", page="1")
    assert response.headers["Location"] == \
        "/lists/board-announce/subscribers?status=paused&q=paula"


def test_an_action_on_another_lists_subscription_is_not_found(focal_client, crowded):
    [other] = subscribe(make_list("board-other"), "ama@example.org")
    for verb in ("remove", "approve", "reenable"):
        assert focal_client.post(f"/lists/board-announce/subscribers/{other.id}/{verb}") \
            .status_code == 404
    assert focal_client.post("/lists/board-announce/subscribers/999999/remove") \
        .status_code == 404
    db.session.refresh(other)
    assert other.is_active


def test_actions_without_the_csrf_token_are_refused(focal_client, crowded):
    subscription = crowded["active"]
    response = focal_client.post(
        f"/lists/board-announce/subscribers/{subscription.id}/remove", csrf=False)
    assert response.status_code == 400
    db.session.refresh(subscription)
    assert subscription.is_active
