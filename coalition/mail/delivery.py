"""The outbox worker behind `coalition mail deliver`: claims due copies, sends them over
reused SMTP connections (several in parallel), and records what the relay answered.

A copy is claimed by stamping it with the worker's name and a lease, committed before any
SMTP traffic; its result is committed a few copies later. A worker killed in between
leaves at most those few copies claimed and unrecorded: they are claimed again (at once by
a worker on the same host, which sees their process is gone; elsewhere when the lease runs
out) and sent a second time. On PostgreSQL the claim skips rows another worker is claiming
(`FOR UPDATE SKIP LOCKED`), so several workers never share a copy.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import and_, func, or_, select, text, update

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import bounces, moderation
from coalition.mail.listmail import PostMessage, Recipient
from coalition.mail.models import (
    Delivery,
    DeliveryStatus,
    Post,
    Subscription,
    SubscriptionStatus,
)
from coalition.mail.transport import Transport, TransportError, transport_from_config

log = logging.getLogger(__name__)
DUE = (DeliveryStatus.QUEUED.value, DeliveryStatus.RETRY.value)
MAX_BACKOFF = timedelta(hours=1)
# Written as the partial index ix_deliveries_due says it, with the values inline, so the
# planner can use that index even for a prepared (generic) plan.
DUE_PREDICATE = text("deliveries.status IN ('queued', 'retry')")
# How often the worker discards the held posts nobody decided on in time.
EXPIRE_HELD_EVERY = 600.0  # seconds
HOURLY_LOCK = 0x636F616C  # PostgreSQL advisory lock key of the hourly allowance ("coal")


@dataclass(frozen=True)
class Options:
    connections: int = 2
    batch: int = 100  # copies claimed at once by one connection
    # Copies sent before their results are committed: fewer commits, against at most this
    # many copies per connection sent twice after a kill.
    record_every: int = 50
    lease: timedelta = timedelta(seconds=120)
    rate_per_second: int = 0
    rate_per_hour: int = 0
    retry_seconds: int = 60
    once: bool = False
    poll_seconds: float = 1.0

    @classmethod
    def from_config(cls, config, **overrides) -> Options:
        values = {"connections": config["MAIL_CONNECTIONS"],
                  "lease": timedelta(seconds=config["MAIL_LEASE_SECONDS"]),
                  "rate_per_second": config["MAIL_RATE_PER_SECOND"],
                  "rate_per_hour": config["MAIL_RATE_PER_HOUR"],
                  "retry_seconds": config["MAIL_RETRY_SECONDS"]}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Tally:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sent: int, retry: int, failed: int) -> None:
        with self.lock:
            self.sent += sent
            self.retry += retry
            self.failed += failed


class RateLimiter:
    """At most `per_second` hand-overs a second across this worker's connections."""

    def __init__(self, per_second: int, stop: threading.Event):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.stop = stop
        self.lock = threading.Lock()
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            self.stop.wait(slot - now)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims(now: datetime | None = None) -> int:
    """Copies claimed by a worker of this host whose process is gone are free again at
    once (a killed `make run`), instead of when their lease runs out."""
    now = now or utcnow()
    host = socket.gethostname()
    names = db.session.scalars(select(Delivery.claimed_by).distinct().where(
        Delivery.claimed_by.like(f"{host}:%"), Delivery.claimed_until > now,
        Delivery.status.in_(DUE))).all()
    released = 0
    for name in names:
        try:
            pid = int(name.split(":")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _process_alive(pid):
            result = db.session.execute(update(Delivery).where(
                Delivery.claimed_by == name, Delivery.status.in_(DUE))
                .values(claimed_by=None, claimed_until=None))
            released += result.rowcount
    db.session.commit()
    return released


def hourly_allowance(rate_per_hour: int, now: datetime) -> int | None:
    """How many more copies all workers may send this hour (None: no limit).

    Copies claimed and not yet recorded count as sent: otherwise each connection would
    claim the whole allowance. On PostgreSQL a transaction lock, held until `claim`
    commits, keeps two workers from counting at the same moment (SQLite's write lock,
    taken at BEGIN, already does)."""
    if not rate_per_hour:
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HOURLY_LOCK})
    # One statement, so one snapshot: a copy recorded in between is counted once.
    used = db.session.scalar(select(func.count()).select_from(Delivery).where(or_(
        Delivery.sent_at > now - timedelta(hours=1),
        and_(Delivery.status.in_(DUE), Delivery.claimed_until > now))))
    return max(0, rate_per_hour - used)


def claim(worker: str, limit: int, lease: timedelta, due_by: datetime | None = None,
          now: datetime | None = None) -> list[int]:
    """Stamp up to `limit` due copies as this worker's, and commit: before any SMTP."""
    now = now or utcnow()
    query = (select(Delivery.id)
             .where(DUE_PREDICATE, Delivery.next_attempt_at <= (due_by or now),
                    or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now))
             .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if ids:
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids))
                           .values(claimed_by=worker, claimed_until=now + lease))
    db.session.commit()
    return ids


def backoff(attempts: int, retry_seconds: int) -> timedelta:
    """Doubling waits with a little jitter, so retries of one post do not arrive in step."""
    wait = min(timedelta(seconds=retry_seconds * 2 ** max(0, attempts - 1)), MAX_BACKOFF)
    return wait * random.uniform(1.0, 1.1)  # noqa: S311 - jitter, not a secret


class Unbuildable(Exception):
    """A post whose copies cannot be built (the reason is the message)."""


@dataclass
class Outcome:
    delivery: Delivery
    token: str | None
    reply: str = ""
    error: TransportError | None = None
    skipped: str | None = None  # not sent on purpose (unsubscribed since it was queued)


def record(outcomes: list[Outcome], retry_seconds: int, now: datetime | None = None
           ) -> tuple[int, int, int]:
    """Write what happened to each copy, commit, and return (sent, retry, failed)."""
    now = now or utcnow()
    rows: list[dict] = []
    sent = retry = failed = 0
    for outcome in outcomes:
        delivery = outcome.delivery
        row = {"id": delivery.id, "attempts": delivery.attempts + 1, "claimed_by": None,
               "claimed_until": None}
        if outcome.skipped is not None:
            row.update(status=DeliveryStatus.FAILED.value, last_reply=outcome.skipped,
                       attempts=delivery.attempts)
            failed += 1
        elif outcome.error is None:
            row.update(status=DeliveryStatus.SENT.value, sent_at=now,
                       last_reply=outcome.reply[:500])
            sent += 1
        else:
            error = outcome.error
            row["last_reply"] = str(error)[:500]
            next_attempt = now + backoff(row["attempts"], retry_seconds)
            if error.temporary and next_attempt <= delivery.deadline_at:
                row.update(status=DeliveryStatus.RETRY.value, next_attempt_at=next_attempt)
                retry += 1
            else:
                row["status"] = DeliveryStatus.FAILED.value
                failed += 1
                if delivery.subscription_id is not None and error.about == "recipient":
                    subscription = db.session.get(Subscription, delivery.subscription_id)
                    if subscription is not None:
                        bounces.register_bounce(subscription, now, str(error), "smtp",
                                                is_hard=not error.temporary,
                                                delivery_id=delivery.id)
        rows.append(row)
    if rows:
        db.session.execute(update(Delivery), rows)
    db.session.commit()
    return sent, retry, failed


class Worker:
    """One `coalition mail deliver` process: `connections` threads, each with its own SMTP
    connection and database session, sharing the rate limit and the built posts."""

    def __init__(self, app: Flask, options: Options,
                 transport_factory: Callable[[], Transport] | None = None):
        self.app = app
        self.options = options
        self.name = worker_name()
        self.stop = threading.Event()
        self.rate = RateLimiter(options.rate_per_second, self.stop)
        self.tally = Tally()
        self.transport_factory = transport_factory or (
            lambda: transport_from_config(app.config))
        # Built posts, or what stopped one being built.
        self._messages: dict[tuple[int, bool], PostMessage | str] = {}
        self._messages_lock = threading.Lock()
        self.started_at = utcnow()
        self.errors: list[BaseException] = []
        self._expired_at: float | None = None  # time.monotonic() of the last expiry pass
        self._expiry_lock = threading.Lock()

    def run(self) -> Tally:
        with self.app.app_context():
            released = release_dead_claims()
            if released:
                log.info("%d copies claimed by a worker that died are free again", released)
            db.session.remove()
        threads = [threading.Thread(target=self._connection, name=f"deliver-{n}", daemon=True)
                   for n in range(self.options.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
        if self.errors:
            raise self.errors[0]
        return self.tally

    def _connection(self) -> None:
        try:
            with self.app.app_context():
                with self.transport_factory() as transport:
                    while not self.stop.is_set():
                        self._expire_held()
                        if not self._one_batch(transport):
                            if self.options.once:
                                break
                            self.stop.wait(self.options.poll_seconds)
                db.session.remove()
        except BaseException as error:  # one thread's crash stops the worker, loudly
            log.exception("delivery thread stopped")
            self.errors.append(error)
            self.stop.set()

    def _expire_held(self) -> None:
        """Discard expired held posts, at most every EXPIRE_HELD_EVERY seconds and by one
        thread (a cheap indexed query when nothing expired). A failure here is logged and
        tried again next time: it must not stop the delivery."""
        if not self._expiry_lock.acquire(blocking=False):
            return
        try:
            started = time.monotonic()
            if self._expired_at is not None and \
                    started - self._expired_at < EXPIRE_HELD_EVERY:
                return
            self._expired_at = started
            expired = moderation.expire_held()
            db.session.commit()
            if expired:
                log.info("%d held post(s) expired and were discarded", expired)
        except Exception:
            db.session.rollback()
            log.exception("expiring held posts failed; trying again later")
        finally:
            self._expiry_lock.release()

    def _one_batch(self, transport: Transport) -> bool:
        """Claim and send one batch; False when nothing was due."""
        options = self.options
        now = utcnow()
        limit = options.batch
        allowance = hourly_allowance(options.rate_per_hour, now)
        if allowance is not None:
            limit = min(limit, allowance)
            if limit == 0:
                db.session.commit()
                return False
        due_by = self.started_at if options.once else now
        ids = claim(self.name, limit, options.lease, due_by=due_by, now=now)
        if not ids:
            return False
        lease_ends = time.monotonic() + options.lease.total_seconds() * 0.8
        rows = db.session.execute(
            select(Delivery, Subscription.token, Subscription.status,
                   Subscription.delivery_enabled)
            .outerjoin(Subscription, Delivery.subscription_id == Subscription.id)
            .where(Delivery.id.in_(ids)).order_by(Delivery.id)).all()
        # No transaction stays open while the relay is talked to: on SQLite every worker
        # transaction holds the write lock, and the other connections would time out on it.
        for row in rows:
            db.session.expunge(row[0])  # keeps its loaded values through the commits below
        db.session.commit()
        pending: list[Outcome] = []
        relay_down: TransportError | None = None
        for index, (delivery, token, status, enabled) in enumerate(rows):
            if self.stop.is_set() or time.monotonic() > lease_ends:
                self._release([row[0].id for row in rows[index:]])
                break
            outcome = Outcome(delivery, token)
            if delivery.subscription_id is not None and (
                    status != SubscriptionStatus.ACTIVE or not enabled):
                outcome.skipped = "not sent: the subscription was stopped after queueing"
            elif relay_down is not None:
                outcome.error = relay_down
            else:
                self._send(transport, outcome)
                if outcome.error is not None and outcome.error.about == "relay":
                    relay_down = outcome.error  # the rest of the batch would fail alike
            pending.append(outcome)
            if len(pending) >= options.record_every:
                self.tally.add(*record(pending, options.retry_seconds))
                pending = []
        if pending:
            self.tally.add(*record(pending, options.retry_seconds))
        log.info("%d copies handed over or retried (%s so far: %d sent, %d to retry, "
                 "%d failed)", len(rows), self.name, self.tally.sent, self.tally.retry,
                 self.tally.failed)
        if relay_down is not None:
            log.warning("relay unavailable: %s", relay_down)
            self.stop.wait(min(options.retry_seconds, 30) if not options.once else 0)
        return True

    def _send(self, transport: Transport, outcome: Outcome) -> None:
        delivery = outcome.delivery
        recipient = Recipient(delivery.email, delivery.name, outcome.token)
        # A post or a copy that cannot be built fails only its own copies, for good (the
        # message, not the recipient, is at fault: no bounce is counted); the worker goes
        # on with every other post.
        try:
            message = self._message(delivery.post_id, delivery.is_test)
            data = message.render(recipient)
        except Unbuildable as error:  # logged once, when the post was built
            outcome.error = TransportError(f"could not build the message: {error}",
                                           temporary=False, about="message")
            return
        except Exception as error:
            log.exception("could not build the copy for delivery %s (post %s)",
                          delivery.id, delivery.post_id)
            outcome.error = TransportError(
                f"could not build the message: {type(error).__name__}: {error}",
                temporary=False, about="message")
            return
        self.rate.wait()
        try:
            outcome.reply = transport.send_raw(data, message.envelope_sender(recipient),
                                               [delivery.email])
        except TransportError as error:
            outcome.error = error

    def _message(self, post_id: int, test: bool) -> PostMessage:
        """The built post, shared by the threads; raises (every time, without building
        it again) for a post that cannot be built."""
        key = (post_id, test)
        with self._messages_lock:
            message = self._messages.get(key)
            if message is None:
                try:
                    message = PostMessage(db.session.get(Post, post_id), test=test)
                except Exception as error:
                    db.session.rollback()
                    log.exception("post %s cannot be built: its copies fail", post_id)
                    message = f"{type(error).__name__}: {error}"
                else:
                    db.session.commit()  # end the read, as above; the message holds its text
                self._messages[key] = message
            if isinstance(message, str):
                raise Unbuildable(message)
            return message

    def _release(self, ids: list[int]) -> None:
        """Give back copies this worker claimed but will not send now (stopping, lease)."""
        db.session.execute(update(Delivery).where(
            Delivery.id.in_(ids), Delivery.claimed_by == self.name)
            .values(claimed_by=None, claimed_until=None))
        db.session.commit()


def deliver(options: Options | None = None,
            transport_factory: Callable[[], Transport] | None = None) -> Tally:
    """Run a worker in this process with the current app (what the command calls)."""
    app = current_app._get_current_object()
    worker = Worker(app, options or Options.from_config(app.config), transport_factory)
    return worker.run()
