"""A relay answering 550: the copy fails, the bounce counts, the threshold disables the
subscription and tells the focal contacts; a stopped subscription's copy is not sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.auth.models import SystemActor
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import bounces, posting, subscriptions
from coalition.mail.models import BounceEvent, Subscription
from tests.mail.fixtures_delivery import (
    add_subscribers,
    arrivals,
    copies,
    make_list,
    queue_post,
    run_worker,
    smtp_settings,
)

UNKNOWN = "550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown"


@pytest.fixture
def threshold() -> int:
    return 5


@pytest.fixture
def app_overrides(relay, threshold) -> dict:
    return smtp_settings(relay, BOUNCE_THRESHOLD=threshold)


def subscription(subscription_id: int) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, subscription_id)


def test_a_550_fails_the_copy_and_counts_a_hard_bounce(app, relay, focal):
    news = make_list()
    ann, bob = add_subscribers(news, people=[("ann@example.net", "Ann"),
                                             ("bob@example.net", "Bob")])
    first = queue_post(news, subject="First")
    second = queue_post(news, subject="Second")
    relay.answer(ann.email, UNKNOWN)

    tally = run_worker(app)

    assert (tally.sent, tally.retry, tally.failed) == (2, 0, 2)
    assert set(arrivals(relay)) == {"bob@example.net"}
    row = copies(first)[ann.email]
    assert row.status == "failed" and "550" in row.last_reply and "User unknown" in row.last_reply
    events = db.session.scalars(select(BounceEvent).order_by(BounceEvent.id)).all()
    assert [(e.subscription_id, e.is_hard, e.source) for e in events] == \
        [(ann.id, True, "smtp")] * 2
    assert {e.delivery_id for e in events} == \
        {copies(first)[ann.email].id, copies(second)[ann.email].id}
    # Two bounces the same day count once; below the threshold nothing else happens.
    assert [e.counted for e in events] == [True, False]
    assert subscription(ann.id).bounce_score == 1.0
    assert subscription(ann.id).status == "active"
    assert subscription(bob.id).bounce_score == 0.0
    assert not any(focal.email in d.rcpt_tos for d in relay.deliveries)


@pytest.mark.parametrize("threshold", [1])
def test_reaching_the_threshold_disables_the_subscription_and_tells_the_focal_contacts(
        app, relay, focal):
    news = make_list(display_name="Coalition News")
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])
    queue_post(news)
    relay.answer(ann.email, UNKNOWN)

    run_worker(app)

    disabled = subscription(ann.id)
    assert disabled.status == "disabled" and disabled.disabled_at is not None
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions", AuditEvent.entity_id == str(ann.id),
        AuditEvent.action == "disable")).one()
    assert audit.changes == {"status": ["active", "disabled"]}
    assert "User unknown" in audit.summary
    # The focal contact's notice went out through the configured relay.
    [notice] = [d for d in relay.deliveries if d.rcpt_tos == [focal.email]]
    assert notice.message["Subject"] == \
        "Coalition News: ann@example.net disabled after bounces"
    body = notice.message.get_content()
    assert "User unknown" in body
    assert "http://coalition.test/lists/news/subscribers?status=disabled" in body

    # The next post does not go to a disabled subscription at all.
    relay.deliveries.clear()
    relay.handler.replies.clear()
    [bob] = [s for s in add_subscribers(news, people=[("bob@example.net", "Bob")])
             if s.email == "bob@example.net"]
    post = queue_post(news)
    run_worker(app)
    assert set(arrivals(relay)) == {bob.email}
    assert set(copies(post)) == {bob.email}


def test_a_copy_queued_before_its_subscription_stopped_is_not_sent(app, relay):
    news = make_list()
    left, disabled, paused, active = add_subscribers(news, 4)
    post = queue_post(news)
    actor = SystemActor("command: tests")
    subscriptions.unsubscribe(actor, db.session.get(Subscription, left.id), "test")
    db.session.get(Subscription, disabled.id).status = "disabled"  # as bounces do it
    subscriptions.set_delivery(actor, db.session.get(Subscription, paused.id), enabled=False)
    db.session.commit()

    tally = run_worker(app)

    assert set(arrivals(relay)) == {active.email}
    assert (tally.sent, tally.failed) == (1, 3)
    rows = copies(post)
    for stopped in (left, disabled, paused):
        row = rows[stopped.email]
        assert row.status == "failed" and row.last_reply.startswith("not sent"), stopped.email
        assert row.attempts == 0
    assert posting.progress(post).done
    assert db.session.scalars(select(BounceEvent)).all() == []


@pytest.mark.parametrize("backend", ["sqlite"])  # arithmetic, the same on both databases
def test_a_soft_bounce_counts_half_and_an_old_score_starts_again(app):
    news = make_list()
    [ann] = add_subscribers(news, people=[("ann@example.net", "Ann")])
    now = utcnow()
    ann.bounce_score, ann.last_bounce_at = 3.0, now - timedelta(days=8)

    bounces.register_bounce(ann, now, "550 gone", "smtp", is_hard=True)
    assert ann.bounce_score == 1.0  # the week-old score was forgotten
    bounces.register_bounce(ann, now + timedelta(days=1), "452 full", "smtp", is_hard=False)
    assert ann.bounce_score == 1.5
    assert ann.status == "active"
