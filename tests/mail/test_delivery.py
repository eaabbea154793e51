"""The outbox worker against a real relay: every recipient once, connections reused, rate
limits, 4xx retries until the deadline, a relay that is down, a worker killed mid-send and
restarted, and two workers at once on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import posting
from coalition.mail.delivery import Options, Worker
from coalition.mail.models import BounceEvent, Delivery
from coalition.mail.transport import transport_from_config
from tests.mail.fixtures_delivery import (
    add_subscribers,
    arrivals,
    coalition_process,
    copies,
    make_due,
    make_list,
    queue_post,
    run_worker,
    smtp_settings,
)


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay, MAIL_CONNECTIONS=2, MAIL_RETRY_SECONDS=60)


def test_every_subscriber_gets_exactly_one_copy_over_reused_connections(app, relay):
    news = make_list()
    subscribers = add_subscribers(news, 300)
    post = queue_post(news)

    tally = run_worker(app)

    assert arrivals(relay) == {s.email: 1 for s in subscribers}
    assert 1 <= relay.connections <= 2  # MAIL_CONNECTIONS, each used for many copies
    assert (tally.sent, tally.retry, tally.failed) == (300, 0, 0)
    assert posting.progress(post) == posting.Progress(queued=0, sent=300, retry=0, failed=0)
    assert all(row.sent_at is not None and row.last_reply.startswith("250")
               for row in copies(post).values())


def test_the_rate_limit_spaces_the_copies_out(app, relay):
    news = make_list()
    add_subscribers(news, 10)
    queue_post(news)

    started = time.monotonic()
    run_worker(app, rate_per_second=20)

    assert len(relay.deliveries) == 10
    # Ten hand-overs at 20 a second are nine intervals of 50 ms apart.
    assert time.monotonic() - started >= 0.4


def test_the_hourly_limit_stops_the_workers_until_the_hour_has_passed(app, relay):
    news = make_list()
    add_subscribers(news, 12)
    post = queue_post(news)

    run_worker(app, rate_per_hour=5, connections=2, batch=2)
    assert len(relay.deliveries) == 5
    run_worker(app, rate_per_hour=5)
    assert len(relay.deliveries) == 5
    assert posting.progress(post).queued == 7

    # An hour later the next five go.
    db.session.execute(update(Delivery).where(Delivery.sent_at.is_not(None))
                       .values(sent_at=utcnow() - timedelta(hours=1, seconds=1)))
    run_worker(app, rate_per_hour=5)
    assert len(relay.deliveries) == 10
    assert len(arrivals(relay)) == 10  # ten different people


def test_a_451_is_retried_later_and_then_delivered_once(app, relay):
    news = make_list()
    subscribers = add_subscribers(news, 6)
    post = queue_post(news)
    greylisted = {s.email for s in subscribers[:2]}
    for address in greylisted:
        relay.answer(address, "451 4.7.1 Greylisted, try again later")

    before = utcnow()
    tally = run_worker(app)

    assert (tally.sent, tally.retry, tally.failed) == (4, 2, 0)
    rows = copies(post)
    for address, row in rows.items():
        if address in greylisted:
            assert row.status == "retry"
            assert "451" in row.last_reply and "Greylisted" in row.last_reply
            assert row.next_attempt_at >= before + timedelta(seconds=60)
            assert row.attempts == 1
        else:
            assert row.status == "sent"
    assert set(arrivals(relay)) == {s.email for s in subscribers} - greylisted
    # Not due yet: another run leaves them alone.
    assert run_worker(app).sent == 0

    relay.handler.replies.clear()  # the relay accepts them now
    make_due(post)
    tally = run_worker(app)

    assert tally.sent == 2
    assert arrivals(relay) == {s.email: 1 for s in subscribers}
    assert {row.status for row in copies(post).values()} == {"sent"}
    assert posting.progress(post).done


def test_a_copy_still_refused_at_its_deadline_fails(app, relay):
    news = make_list()
    [ann, _bob] = add_subscribers(news, 2)
    post = queue_post(news)
    relay.answer(ann.email, "452 4.2.2 Mailbox full")
    run_worker(app)
    db.session.execute(update(Delivery).where(Delivery.post_id == post.id).values(
        next_attempt_at=utcnow() - timedelta(seconds=1),
        deadline_at=utcnow() + timedelta(seconds=30)))
    db.session.commit()

    tally = run_worker(app)

    assert (tally.sent, tally.retry, tally.failed) == (0, 0, 1)
    row = copies(post)[ann.email]
    assert row.status == "failed" and "452" in row.last_reply and row.attempts == 2
    # A temporary refusal to the end counts as a soft bounce, not a hard one.
    [event] = db.session.scalars(select(BounceEvent)).all()
    assert not event.is_hard and event.subscription_id == ann.id
    assert posting.progress(post) == posting.Progress(queued=0, sent=1, retry=0, failed=1)


def test_a_relay_that_cannot_be_reached_leaves_every_copy_to_retry(app, relay, closed_port):
    news = make_list()
    add_subscribers(news, 5)
    post = queue_post(news)
    app.config["SMTP_PORT"] = closed_port

    tally = run_worker(app)

    assert (tally.sent, tally.retry, tally.failed) == (0, 5, 0)
    rows = copies(post).values()
    assert {row.status for row in rows} == {"retry"}
    assert all("cannot reach" in row.last_reply for row in rows)
    assert db.session.scalar(select(func.count()).select_from(BounceEvent)) == 0

    app.config["SMTP_PORT"] = relay.port  # the relay is back
    make_due(post)
    assert run_worker(app).sent == 5
    assert len(arrivals(relay)) == 5


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_database_lock_is_held_while_the_relay_is_talked_to(app, relay, database_url):
    """On SQLite a worker transaction holds the write lock: one left open over SMTP would
    make the other connections (and the web) wait, and time out behind a slow relay."""
    news = make_list()
    add_subscribers(news, 30)  # more than one batch of results recorded
    queue_post(news)
    path = make_url(database_url).database
    blocked = []

    class ProbingTransport:
        """The real transport, which first checks that another writer could get in."""

        def __init__(self):
            self.inner = transport_from_config(app.config)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.__exit__(*exc)

        def send_raw(self, data, sender, recipients):
            probe = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                blocked.append(recipients[0])
            finally:
                probe.close()
            return self.inner.send_raw(data, sender, recipients)

    db.session.commit()
    Worker(app, Options.from_config(app.config, once=True, connections=1),
           ProbingTransport).run()

    assert len(relay.deliveries) == 30
    assert blocked == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_workers_at_once_never_send_the_same_copy(app, relay):
    news = make_list()
    subscribers = add_subscribers(news, 500)
    queue_post(news)
    db.session.commit()
    options = Options.from_config(app.config, once=True, connections=2, batch=10,
                                  record_every=5)
    workers = [Worker(app, options), Worker(app, options)]
    tallies = []
    threads = [threading.Thread(target=lambda w=w: tallies.append(w.run())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(tallies) == 2
    assert arrivals(relay) == {s.email: 1 for s in subscribers}
    assert all(tally.sent > 0 for tally in tallies)  # both took part
    assert sum(tally.sent for tally in tallies) == 500


def wait_for(condition, process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker stopped early: {process.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.02)


def test_a_worker_killed_mid_send_and_restarted_loses_no_recipient(
        app, slow_relay, database_url, tmp_path, runner):
    news = make_list()
    subscribers = add_subscribers(news, 150)
    post = queue_post(news)
    connections = 2
    worker = coalition_process(database_url, slow_relay, tmp_path, "mail", "deliver",
                               MAIL_CONNECTIONS=connections)

    try:
        wait_for(lambda: len(slow_relay.deliveries) >= 40, worker)
    finally:
        worker.kill()  # SIGKILL: no cleanup of any kind
        worker.communicate()  # reaped: a zombie would still count as alive
    recorded = posting.progress(post).sent
    db.session.commit()  # on SQLite, the read above holds the lock the restart needs
    assert recorded < 150, "the kill came after the last copy: nothing was tested"

    # The restart is the same command, run here to spare a second interpreter's start-up;
    # the copies the dead process had claimed are free at once (its PID is gone).
    app.config.update(smtp_settings(slow_relay, MAIL_CONNECTIONS=connections))
    result = runner.invoke(args=["mail", "deliver", "--once"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{150 - recorded} sent, 0 to retry later, 0 failed."
    received = arrivals(slow_relay)
    assert set(received) == {s.email for s in subscribers}  # nobody missing
    # Sent twice at most: what each connection had sent but not yet recorded.
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= connections * Options.record_every
    assert {row.status for row in copies(post).values()} == {"sent"}
