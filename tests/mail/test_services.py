"""Lists and subscriptions at the service level: list names and settings, double opt-in,
unsubscribing, focal contacts adding subscribers, and members managing their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.mail import services, subscriptions
from coalition.mail.models import MailingList, Subscription, SubscriptionStatus
from coalition.mail.services import ListInput
from coalition.members.services import login_of
from tests.factories import make_member
from tests.mail.fixtures_public import confirmation_token, make_list, recipients, subscribe


def events(db, entity, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity.__tablename__,
                                     AuditEvent.entity_id == str(entity.id))
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def subscription_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription))


def member_login(**overrides):
    """A member with a login; returns (member, user)."""
    member = make_member(login=True, **overrides)
    return member, login_of(member)


# --- list names and settings -----------------------------------------------------------

BAD_NAMES = [
    ("", "Enter the list's address"),
    ("two words", "letters, digits"),
    ("-starts-with-a-dash", "letters, digits"),
    ("ends.with.a.dot.", "letters, digits"),
    ("a" * 65, "letters, digits"),
    ("café", "letters, digits"),
    ("news@example.org", "letters, digits"),
    ("two..dots", "letters, digits"),
    ("new", "kept for the site's own pages"),
    ("mine", "kept for the site's own pages"),
    ("confirm", "kept for the site's own pages"),
    ("unsubscribe", "kept for the site's own pages"),
    ("news-request", "kept for the list's own addresses"),
    ("news-bounces", "kept for the list's own addresses"),
    ("news-owner", "kept for the list's own addresses"),
    ("postmaster", "kept for the mail domain's administrators"),
    ("abuse", "kept for the mail domain's administrators"),
    ("mailer-daemon", "kept for the mail domain's administrators"),
]


def test_a_bad_list_name_is_refused_and_nothing_is_written(db, focal):
    for name, message in BAD_NAMES:  # one database for all: these are checks, not states
        with pytest.raises(ValidationError, match=message) as error:
            services.create_list(focal, ListInput(name=name, display_name="News"))
        assert error.value.field == "name", name
        db.session.rollback()
    assert db.session.scalars(select(MailingList)).all() == []


def test_a_name_is_lower_cased_and_may_hold_dots_dashes_and_underscores(db, focal):
    mailing_list = services.create_list(focal, ListInput(name="  IGF.Youth_2025-ke ",
                                                         display_name="IGF youth"))
    assert mailing_list.name == "igf.youth_2025-ke"


def test_two_lists_cannot_share_an_address_but_a_list_keeps_its_own(db, focal):
    news = make_list("news")
    with pytest.raises(ValidationError, match="Another list already has this address"):
        services.create_list(focal, ListInput(name="NEWS", display_name="Other"))
    db.session.rollback()
    services.update_list(focal, news, ListInput(name="news", display_name="Renamed"))
    assert news.display_name == "Renamed"


def test_only_a_focal_contact_creates_or_changes_a_list(db, member):
    with pytest.raises(PermissionDenied):
        services.create_list(member, ListInput(name="news", display_name="News"))
    news = make_list("news")
    with pytest.raises(PermissionDenied):
        services.update_list(member, news, ListInput(name="news", display_name="Mine now"))
    with pytest.raises(PermissionDenied):
        services.set_list_archived(member, news, True)
    assert (news.display_name, news.is_archived) == ("News list", False)


def test_a_fixed_reply_to_needs_a_valid_address_and_other_choices_drop_it(db, focal):
    data = ListInput(name="talk", display_name="Talk", kind="discussion",
                     reply_to="address", reply_to_address="not an address")
    with pytest.raises(ValidationError) as error:
        services.create_list(focal, data)
    assert error.value.field == "reply_to_address"
    db.session.rollback()
    data.reply_to_address = "Secretariat@Example.org"
    talk = services.create_list(focal, data)
    assert talk.reply_to_address == "secretariat@example.org"
    data.reply_to = "list"
    services.update_list(focal, talk, data)
    assert talk.reply_to_address is None


def test_an_unknown_choice_is_refused(db, focal):
    with pytest.raises(ValidationError, match="Choose one of the options") as error:
        services.create_list(focal, ListInput(name="x1", display_name="X",
                                              subscription_policy="anyone"))
    assert error.value.field == "subscription_policy"


def test_creating_changing_and_archiving_a_list_is_audited(db, focal):
    news = services.create_list(focal, ListInput(name="news", display_name="News",
                                                 footer="Sent by the secretariat."))
    db.session.commit()
    [created] = events(db, news)
    assert (created.action, created.actor_id) == ("create", focal.id)
    assert created.changes["name"] == [None, "news"]
    assert created.changes["footer"] == [None, "Sent by the secretariat."]

    changes = services.update_list(focal, news, ListInput(
        name="news", display_name="News and events", footer="Sent by the secretariat.",
        subscription_policy="confirm_then_moderate"))
    assert changes == {"display_name": ["News", "News and events"],
                       "subscription_policy": ["open", "confirm_then_moderate"]}
    assert services.update_list(focal, news, services.list_input(news)) == {}
    services.set_list_archived(focal, news, True)
    services.set_list_archived(focal, news, True)  # already archived: nothing more
    services.set_list_archived(focal, news, False)
    db.session.commit()
    assert [e.action for e in events(db, news)] == ["create", "update", "archive", "restore"]
    assert events(db, news, "update")[0].changes == changes


# --- double opt-in ---------------------------------------------------------------------

def test_a_request_leaves_a_pending_subscription_and_sends_one_link(db, outbox):
    news = make_list("news")
    result = subscriptions.request_subscription(news, " Visitor@Example.org ", "Vera Visitor")
    db.session.commit()
    assert result.confirmation_sent
    subscription = result.subscription
    assert (subscription.email, subscription.name, subscription.status) == \
        ("visitor@example.org", "Vera Visitor", "pending")
    assert not subscription.awaits_approval
    [message] = outbox()
    assert recipients([message]) == ["visitor@example.org"]
    assert message["Subject"] == "Confirm your subscription to News list"
    assert "news@lists.coalition.test" in message.get_content()
    assert confirmation_token(message)
    assert [e.action for e in events(db, subscription)] == ["confirmation_sent"]


def test_asking_again_within_the_hour_sends_nothing_and_after_it_sends_again(db, outbox):
    news = make_list("news")
    start = utcnow()
    subscriptions.request_subscription(news, "visitor@example.org", now=start)
    db.session.commit()
    again = subscriptions.request_subscription(news, "visitor@example.org",
                                          now=start + timedelta(minutes=59))
    db.session.commit()
    assert not again.confirmation_sent
    assert len(outbox()) == 1
    later = subscriptions.request_subscription(news, "VISITOR@example.org",
                                          now=start + timedelta(minutes=61))
    db.session.commit()
    assert later.confirmation_sent
    assert recipients(outbox()) == ["visitor@example.org"] * 2
    assert subscription_count(db) == 1


def test_an_address_already_subscribed_gets_nothing(db, outbox):
    news = make_list("news")
    subscribe(news, "reader@example.org")
    result = subscriptions.request_subscription(news, "reader@example.org")
    db.session.commit()
    assert not result.confirmation_sent
    assert result.subscription.is_active
    assert outbox() == []


def test_confirming_an_open_list_subscribes_at_once(db, outbox):
    news = make_list("news")
    subscriptions.request_subscription(news, "visitor@example.org")
    db.session.commit()
    token = confirmation_token(outbox()[0])
    subscription = subscriptions.confirm_subscription(token)
    db.session.commit()
    assert subscription.status == "active"
    assert subscription.confirmed_at is not None and subscription.subscribed_at is not None
    assert [e.action for e in events(db, subscription)] == ["confirmation_sent", "confirm"]
    # A second click (or a mail scanner) changes nothing.
    assert subscriptions.confirm_subscription(token).status == "active"
    db.session.commit()
    assert len(events(db, subscription, "confirm")) == 1
    assert len(outbox()) == 1  # confirming sends nothing more


def test_confirming_a_moderated_list_waits_for_a_focal_contact(db, focal, outbox):
    board = make_list("board", subscription_policy="confirm_then_moderate")
    subscriptions.request_subscription(board, "visitor@example.org")
    db.session.commit()
    subscription = subscriptions.confirm_subscription(confirmation_token(outbox()[0]))
    db.session.commit()
    assert subscription.status == "pending" and subscription.awaits_approval
    # The focal contacts are told someone waits, with the page to approve them on.
    [asks] = outbox()[1:]
    assert recipients([asks]) == [focal.email]
    assert asks["Subject"] == "Board list: visitor@example.org asks to subscribe"
    assert "/lists/board/subscribers" in asks.get_content()
    # Asking again now neither resets the confirmation nor sends another link.
    assert not subscriptions.request_subscription(board, "visitor@example.org").confirmation_sent
    assert subscription.awaits_approval
    subscriptions.approve_subscription(focal, subscription)
    db.session.commit()
    assert subscription.is_active
    [welcome] = outbox()[2:]  # and the subscriber learns that messages come now
    assert recipients([welcome]) == ["visitor@example.org"]
    assert welcome["Subject"] == "You are subscribed to Board list"
    with pytest.raises(ValidationError, match="not waiting for approval"):
        subscriptions.approve_subscription(focal, subscription)


def test_only_a_focal_contact_approves(db, member, outbox):
    board = make_list("board", subscription_policy="confirm_then_moderate")
    subscriptions.request_subscription(board, "visitor@example.org")
    db.session.commit()
    subscription = subscriptions.confirm_subscription(confirmation_token(outbox()[0]))
    with pytest.raises(PermissionDenied):
        subscriptions.approve_subscription(member, subscription)
    assert subscription.awaits_approval


def test_an_expired_link_is_refused_clearly_and_changes_nothing(db, app, outbox):
    news = make_list("news")
    subscriptions.request_subscription(news, "visitor@example.org")
    db.session.commit()
    token = confirmation_token(outbox()[0])
    days = app.config["SUBSCRIBE_CONFIRM_DAYS"]
    with pytest.raises(ValidationError, match="expired. Ask to subscribe again"):
        subscriptions.confirm_subscription(token, now=utcnow() + timedelta(days=days, minutes=1))
    db.session.rollback()
    assert db.session.scalars(select(Subscription)).one().status == "pending"


def test_a_forged_or_truncated_link_is_refused_clearly_and_changes_nothing(db, outbox):
    news = make_list("news")
    subscriptions.request_subscription(news, "visitor@example.org")
    db.session.commit()
    token = confirmation_token(outbox()[0])
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    for bad in (forged, token[: len(token) // 2], "not-a-token"):
        with pytest.raises(ValidationError, match="not valid. Check that you copied all"):
            subscriptions.confirm_subscription(bad)
        db.session.rollback()
    assert db.session.scalars(select(Subscription)).one().status == "pending"


def test_a_link_from_before_the_address_was_removed_does_not_subscribe_it(db, focal, outbox):
    news = make_list("news")
    result = subscriptions.request_subscription(news, "visitor@example.org")
    db.session.commit()
    token = confirmation_token(outbox()[0])
    subscriptions.unsubscribe(focal, result.subscription, subscriptions.REMOVED_BY_MANAGER)
    db.session.commit()
    with pytest.raises(ValidationError, match="not valid any more"):
        subscriptions.confirm_subscription(token)
    db.session.rollback()
    assert result.subscription.status == "unsubscribed"


def test_a_list_that_stopped_taking_the_form_refuses_the_confirmation(db, focal, outbox):
    news = make_list("news")
    result = subscriptions.request_subscription(news, "visitor@example.org")
    db.session.commit()
    data = services.list_input(news)
    data.subscription_policy = "members_only"
    services.update_list(focal, news, data)
    db.session.commit()
    with pytest.raises(ValidationError, match="no longer takes subscriptions"):
        subscriptions.confirm_subscription(confirmation_token(outbox()[0]))
    db.session.rollback()
    assert result.subscription.status == "pending"
    assert result.subscription.confirmed_at is None


@pytest.mark.parametrize("policy", ["members_only", "closed"])
def test_lists_not_open_to_the_public_refuse_the_form(db, outbox, policy):
    board = make_list("board", subscription_policy=policy)
    with pytest.raises(ValidationError, match="does not take subscriptions by this form"):
        subscriptions.request_subscription(board, "visitor@example.org")
    db.session.rollback()
    assert subscription_count(db) == 0
    assert outbox() == []


def test_an_archived_list_takes_nobody(db, focal, outbox):
    news = make_list("news")
    services.set_list_archived(focal, news, True)
    db.session.commit()
    with pytest.raises(ValidationError, match="archived"):
        subscriptions.request_subscription(news, "visitor@example.org")
    with pytest.raises(ValidationError, match="archived"):
        subscriptions.add_subscriber(focal, news, "visitor@example.org")
    db.session.rollback()
    assert subscription_count(db) == 0 and outbox() == []


def test_a_malformed_address_is_refused_by_the_form(db, outbox):
    news = make_list("news")
    with pytest.raises(ValidationError, match="not a valid e-mail address") as error:
        subscriptions.request_subscription(news, "visitor@@example")
    assert error.value.field == "email"


# --- unsubscribing ---------------------------------------------------------------------

def test_unsubscribing_keeps_the_row_and_its_history(db):
    news = make_list("news")
    subscription = subscribe(news, "reader@example.org")
    assert subscriptions.subscription_by_token(subscription.token) is subscription
    assert subscriptions.unsubscribe(None, subscription, "one-click") is True
    db.session.commit()
    assert subscription.status == "unsubscribed" and subscription.unsubscribed_at
    assert subscription_count(db) == 1
    [event] = events(db, subscription, "unsubscribe")
    assert (event.actor_label, event.summary) == ("anonymous", "one-click")
    assert event.changes["status"] == ["active", "unsubscribed"]
    assert subscriptions.unsubscribe(None, subscription, "link") is False  # nothing to do


def test_an_unknown_or_absurd_token_finds_nothing(db):
    subscribe(make_list("news"), "reader@example.org")
    assert subscriptions.subscription_by_token("no-such-token") is None
    assert subscriptions.subscription_by_token("") is None
    assert subscriptions.subscription_by_token("x" * 5000) is None


def test_a_member_cannot_unsubscribe_someone_else(db):
    news = make_list("news")
    theirs = subscribe(news, "reader@example.org")
    _member, user = member_login()
    with pytest.raises(PermissionDenied):
        subscriptions.unsubscribe(user, theirs, "own profile")
    assert theirs.is_active


def test_an_unsubscribed_visitor_may_ask_again_and_confirm(db, outbox):
    news = make_list("news")
    subscription = subscribe(news, "reader@example.org")
    subscriptions.unsubscribe(None, subscription, "link")
    result = subscriptions.request_subscription(news, "reader@example.org")
    db.session.commit()
    assert result.confirmation_sent and subscription.status == "pending"
    subscriptions.confirm_subscription(confirmation_token(outbox()[0]))
    db.session.commit()
    assert subscription.is_active and subscription.source == "web"


# --- focal contacts adding subscribers -------------------------------------------------

def test_a_focal_contact_adds_an_address_without_confirmation(db, focal, outbox):
    news = make_list("news")
    subscription = subscriptions.add_subscriber(focal, news, "Reader@Example.org", "Rita Reader")
    db.session.commit()
    assert (subscription.email, subscription.status, subscription.source) == \
        ("reader@example.org", "active", "admin")
    assert outbox() == []
    with pytest.raises(ValidationError, match="already subscribed") as error:
        subscriptions.add_subscriber(focal, news, "reader@example.org")
    assert error.value.field == "email"


def test_a_member_cannot_add_subscribers(db, member):
    news = make_list("news")
    with pytest.raises(PermissionDenied):
        subscriptions.add_subscriber(member, news, "reader@example.org")


def test_a_focal_contact_can_put_back_an_address_they_removed(db, focal):
    news = make_list("news")
    subscription = subscribe(news, "reader@example.org")
    subscriptions.unsubscribe(focal, subscription, subscriptions.REMOVED_BY_MANAGER)
    again = subscriptions.add_subscriber(focal, news, "reader@example.org")
    db.session.commit()
    assert again is subscription and subscription.is_active
    assert subscription_count(db) == 1


def test_an_address_that_unsubscribed_itself_is_not_put_back_by_a_focal_contact(db, focal):
    news = make_list("news")
    by_link = subscribe(news, "reader@example.org")
    subscriptions.unsubscribe(None, by_link, "one-click")
    _member, user = member_login()
    by_profile = subscriptions.subscribe_self(user, news)
    subscriptions.unsubscribe(user, by_profile, "own profile")
    db.session.commit()
    for subscription in (by_link, by_profile):
        with pytest.raises(ValidationError, match="only its owner can subscribe again") \
                as error:
            subscriptions.add_subscriber(focal, news, subscription.email)
        assert error.value.field == "email"
        db.session.rollback()
        assert subscription.status == "unsubscribed"
    # Its owner can: by the public form (with a confirmation) or from the profile.
    assert subscriptions.subscribe_self(user, news).is_active


def test_a_focal_contact_re_enables_only_a_subscription_disabled_by_bounces(db, focal):
    news = make_list("news")
    subscription = subscribe(news, "reader@example.org")
    with pytest.raises(ValidationError, match="disabled by bounces"):
        subscriptions.reenable(focal, subscription)
    subscription.status = SubscriptionStatus.DISABLED.value
    subscription.bounce_score = 5.0
    subscriptions.reenable(focal, subscription)
    assert subscription.is_active and subscription.bounce_score == 0.0


# --- delivery on and off ---------------------------------------------------------------

def test_a_member_pauses_their_own_delivery_but_not_someone_elses(db, focal):
    news = make_list("news")
    member, user = member_login()
    own = subscribe(news, member.email, member=member)
    theirs = subscribe(news, "reader@example.org")
    subscriptions.set_delivery(user, own, False)
    db.session.commit()
    assert own.is_active and not own.delivery_enabled
    assert [e.changes for e in events(db, own, "delivery")] == \
        [{"delivery_enabled": [True, False]}]
    with pytest.raises(PermissionDenied):
        subscriptions.set_delivery(user, theirs, False)
    assert theirs.delivery_enabled
    subscriptions.set_delivery(focal, theirs, False)  # a focal contact may
    assert not theirs.delivery_enabled


def test_a_visitor_without_a_login_changes_no_delivery(db):
    subscription = subscribe(make_list("news"), "reader@example.org")
    with pytest.raises(PermissionDenied):
        subscriptions.set_delivery(None, subscription, False)
    assert subscription.delivery_enabled


# --- members subscribing themselves ----------------------------------------------------

@pytest.mark.parametrize("policy, status", [
    ("open", "active"),
    ("members_only", "active"),
    ("confirm_then_moderate", "pending"),
])
def test_a_member_subscribes_themselves_without_a_confirmation_e_mail(db, outbox, policy,
                                                                       status):
    board = make_list("board", subscription_policy=policy)
    member, user = member_login(name="Mia Member")
    subscription = subscriptions.subscribe_self(user, board)
    db.session.commit()
    assert (subscription.email, subscription.name, subscription.member_id) == \
        (user.email, "Mia Member", member.id)
    assert (subscription.status, subscription.source) == (status, "profile")
    assert subscription.awaits_approval == (status == "pending")
    assert outbox() == []
    # Asking twice changes nothing.
    assert subscriptions.subscribe_self(user, board) is subscription
    assert subscription_count(db) == 1


def test_a_closed_list_takes_no_self_subscription(db):
    closed = make_list("board", subscription_policy="closed")
    _member, user = member_login()
    assert not subscriptions.can_self_subscribe(user, closed)
    with pytest.raises(PermissionDenied):
        subscriptions.subscribe_self(user, closed)
    assert subscription_count(db) == 0


def test_a_login_without_an_active_member_record_cannot_subscribe_itself(db, member, focal):
    news = make_list("news")
    with pytest.raises(PermissionDenied):
        subscriptions.subscribe_self(member, news)  # a login with no member record
    gone, gone_user = member_login(status="left")
    with pytest.raises(PermissionDenied):
        subscriptions.subscribe_self(gone_user, news)
    assert subscription_count(db) == 0


def test_a_member_comes_back_to_a_list_they_left(db):
    news = make_list("news")
    _member, user = member_login()
    subscription = subscriptions.subscribe_self(user, news)
    subscriptions.unsubscribe(user, subscription, "own profile")
    assert subscription.status == "unsubscribed"
    assert subscriptions.subscribe_self(user, news) is subscription
    assert subscription.is_active


def test_a_member_takes_over_the_row_of_their_login_address(db):
    """Someone subscribed by the public form before they had a login: joining from the
    profile activates that same row (one per address and list) and links the member."""
    news = make_list("news")
    member, user = member_login()
    subscriptions.request_subscription(news, user.email)
    subscription = subscriptions.subscribe_self(user, news)
    db.session.commit()
    assert subscription.is_active and subscription.member_id == member.id
    assert subscription_count(db) == 1


def test_a_member_on_a_moderated_list_still_waits_after_asking_again(db, focal):
    board = make_list("board", subscription_policy="confirm_then_moderate")
    _member, user = member_login()
    subscription = subscriptions.subscribe_self(user, board)
    subscriptions.subscribe_self(user, board)
    assert subscription.awaits_approval
    subscriptions.approve_subscription(focal, subscription)
    assert subscription.is_active


def test_own_subscription_finds_the_members_row_else_the_login_address(db):
    news = make_list("news")
    member, user = member_login()
    assert services.own_subscription(user, news) is None
    by_address = subscribe(news, user.email)
    assert services.own_subscription(user, news) is by_address
    assert services.own_subscription(None, news) is None


def test_who_may_post_on_the_web(db, focal, member):
    announce = make_list("news")
    talk = make_list("talk", kind="discussion", posting_policy="members")
    subscribers = make_list("circle", kind="discussion", posting_policy="subscribers")
    _own, user = member_login()
    assert services.can_post(focal, announce) and services.can_post(focal, talk)
    assert not services.can_post(user, announce)
    assert services.can_post(user, talk)
    assert not services.can_post(member, talk)  # a login without a member record
    assert not services.can_post(None, talk)
    assert not services.can_post(user, subscribers)
    subscriptions.subscribe_self(user, subscribers)
    assert services.can_post(user, subscribers)
    services.set_list_archived(focal, talk, True)
    assert not services.can_post(focal, talk) and not services.can_post(user, talk)
