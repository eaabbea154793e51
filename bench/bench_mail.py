"""Benchmark: one post to 10,000 subscribers, each copy personalised, sent by the delivery
worker to a local SMTP sink; and, in the same run, the floor: plain smtplib sending the same
10,000 pre-built messages over the same number of connections.

Run by hand:

    .venv/bin/python bench/bench_mail.py [--subscribers N] [--connections N]
        [--format markdown|text] [--sink aiosmtpd|raw] [--batch N] [--record-every N]
        [--backend-only] [--no-details] [--profile] [--pg URL | --database-url URL]

Setup, not timed: a fresh database (SQLite in a temporary folder; or, with --pg, a throwaway
database on that PostgreSQL server, dropped at the end; or the empty database
--database-url names, which is left filled), migrated to the newest schema; an announcement
list (a personal To: line in each copy) with N active subscriptions written in bulk; a post
composed with coalition.mail.posting.compose (Markdown by default: multipart text + HTML).

Timed:
- queue: posting.send (one outbox row per subscriber, INSERT ... SELECT) and the commit;
- delivery: coalition.mail.delivery.Worker(app, Options(once=True, connections=N)).run()
  with MAIL_BACKEND=smtp and the app's own SMTP transport, as `coalition mail deliver
  --once --connections N` runs it;
- floor: N threads, each with one smtplib.SMTP connection, sendmail() of its share of the
  same messages, rendered beforehand with PostMessage.render (not timed).

The sink is an aiosmtpd server on 127.0.0.1 in its own process (its CPU does not compete
with the worker's GIL) that only counts: each run must reach exactly N distinct recipients,
each once, with the envelope sender (VERP) and the unsubscribe link carrying that
recipient's own token; the outbox must then say N sent. aiosmtpd reads DATA line by line
and costs about 1.3-1.5 ms of CPU per 5 KB copy, so on a machine with few CPUs it is what
both the worker and the floor wait for; `--sink raw` uses a minimal SMTP server instead
(about 0.2 ms a copy), which shows the worker's own limit.

Unless --no-details, the worker run is instrumented (a timer around claim(), record(),
PostMessage.render and the transport's send_raw, and an SQLAlchemy cursor event that counts
statements), to split its threads' time into database and SMTP; this adds up to about
0.1 ms of CPU a copy, so quote --no-details runs for the plain figure. --profile runs each
worker thread under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import multiprocessing
import os
import pstats
import signal
import smtplib
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRET_KEY, Timers, add_database_options, database, free_port
from coalition import create_app
from coalition.auth.models import SystemActor
from coalition.extensions import db
from coalition.mail import delivery, posting, services
from coalition.mail.listmail import PostMessage, Recipient
from coalition.mail.models import (
    Post,
    PostFormat,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    new_subscription_token,
)
from coalition.mail.transport import transport_from_config
from coalition.migrate import upgrade

HOST = "127.0.0.1"
LIST_NAME = "bench-announce"
ACTOR = SystemActor("command: bench")
BODY = """\
Dear colleagues,

The **annual meeting** of the coalition takes place on *14-16 October* in Nairobi, with
remote participation for every session. Registration is open until 30 September:
[register here](https://coalition.example.org/events/annual-meeting).

## Programme

1. Opening plenary: the state of meaningful connectivity in 2026
2. Working group sessions: data governance, community networks, online safety for children
3. Open consultation on the draft policy paper on cross-border data flows
4. Closing plenary and adoption of the work plan

## What we ask of members

- Send comments on the draft paper by **15 September** to the secretariat.
- Tell us if your organisation can host a side event or sponsor remote hubs.
- Share this announcement with colleagues who work on internet governance.

| Day        | Morning               | Afternoon                  |
|------------|-----------------------|----------------------------|
| Tuesday    | Opening plenary       | Working groups             |
| Wednesday  | Open consultation     | Regional dialogues         |
| Thursday   | Youth caucus          | Closing plenary            |

Travel support is available for members from least developed countries and small island
states; the application form is on the members' pages. Interpretation into French, Spanish
and Arabic will be provided for the plenaries.

We look forward to seeing you — in person or online.

With best regards,
The secretariat
"""


# --- the sink, in its own process -------------------------------------------------------

class CountingHandler:
    """Counts what arrives; keeps each recipient's VERP token and whether the message
    carries that token (its unsubscribe link), to check that every copy is its own."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.bytes = 0
        self.personalised = 0
        self.tokens: dict[str, str] = {}

    def count(self, mail_from: str, recipients: list[str], content: bytes) -> None:
        self.messages += 1
        self.recipients += len(recipients)
        self.bytes += len(content)
        token = mail_from.partition("+")[2].partition("@")[0]
        if token and f"/lists/unsubscribe/{token}".encode() in content:
            self.personalised += 1
        for recipient in recipients:
            self.tokens[recipient] = token

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook
        self.count(envelope.mail_from, envelope.rcpt_tos, envelope.content)
        return "250 2.0.0 Ok: queued"


class RawSink(asyncio.Protocol):
    """`--sink raw`: just enough SMTP for smtplib (EHLO, MAIL, RCPT, DATA, RSET, QUIT), the
    message read in one piece up to CRLF.CRLF instead of line by line as aiosmtpd does; for
    when aiosmtpd, not the sender, is what the run measures."""

    def __init__(self, handler: CountingHandler):
        self.handler = handler
        self.buffer = bytearray()
        self.in_data = False
        self.mail_from = ""
        self.recipients: list[str] = []

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 sink.test ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                content = bytes(self.buffer[:end + 2]).replace(b"\r\n..", b"\r\n.")
                del self.buffer[:end + 5]
                self.in_data = False
                self.handler.count(self.mail_from, self.recipients, content)
                self.transport.write(b"250 2.0.0 Ok: queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self.buffer[:end]).decode("utf-8", "replace")
            del self.buffer[:end + 2]
            verb = line[:4].upper()
            address = line.partition("<")[2].partition(">")[0]
            if verb == "EHLO":
                reply = "250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP"
            elif verb == "MAIL":
                self.mail_from, self.recipients, reply = address, [], "250 2.1.0 Ok"
            elif verb == "RCPT":
                self.recipients.append(address)
                reply = "250 2.1.5 Ok"
            elif verb == "DATA":
                self.in_data, reply = True, "354 End data with <CR><LF>.<CR><LF>"
            elif verb == "RSET":
                self.mail_from, self.recipients, reply = "", [], "250 2.0.0 Ok"
            elif verb == "QUIT":
                self.transport.write(b"221 2.0.0 Bye\r\n")
                self.transport.close()
                return
            else:  # HELO, NOOP
                reply = "250 Ok"
            self.transport.write(reply.encode() + b"\r\n")


class RawController:
    def __init__(self, handler: CountingHandler, port: int):
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(self.loop.create_server(
            lambda: RawSink(handler), HOST, port))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def sink_main(connection, kind: str) -> None:
    """Serve until told to stop; on "report", send the counts so far and start afresh."""
    from aiosmtpd.controller import Controller

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it, also on Ctrl-C
    handler = CountingHandler()
    port = free_port()
    if kind == "raw":
        controller = RawController(handler, port)
    else:
        # A fixed server_hostname spares a reverse lookup.
        controller = Controller(handler, hostname=HOST, port=port,
                                server_hostname="sink.test", ready_timeout=30)
    controller.start()
    connection.send(port)
    cpu = time.process_time()
    try:
        while True:
            command = connection.recv()
            if command == "report":
                connection.send({"messages": handler.messages,
                                 "recipients": handler.recipients, "bytes": handler.bytes,
                                 "personalised": handler.personalised,
                                 "tokens": handler.tokens,
                                 "cpu": time.process_time() - cpu})
                handler.reset()
                cpu = time.process_time()
            elif command == "stop":
                break
    finally:
        controller.stop()


class Sink:
    def __init__(self, kind: str) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the app, its engine
        self.connection, child = context.Pipe()
        self.process = context.Process(target=sink_main, args=(child, kind), daemon=True)
        self.process.start()
        if not self.connection.poll(60):
            raise RuntimeError("the SMTP sink did not start within a minute")
        self.port = self.connection.recv()

    def report(self) -> dict:
        self.connection.send("report")
        return self.connection.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.connection.send("stop")
            self.process.join(15)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()


# --- setup ----------------------------------------------------------------------------

def fill(subscribers: int, body_format: str) -> tuple[Post, dict[str, str]]:
    """The list, its subscribers and the draft; returns the post and email -> token."""
    mailing_list = services.create_list(ACTOR, services.ListInput(
        name=LIST_NAME, display_name="Coalition announcements",
        subject_prefix="[Coalition]",
        footer="You receive this as a participant in the coalition's work."))
    db.session.flush()
    now = datetime.now(UTC)
    rows = []
    for n in range(subscribers):
        # Every tenth name is not ASCII: its To: line is encoded (RFC 2047), as in life.
        name = f"Zoë Ñandú-Øster {n}" if n % 10 == 0 else f"Subscriber {n}"
        rows.append({"list_id": mailing_list.id, "email": f"subscriber{n}@example.net",
                     "name": name, "status": SubscriptionStatus.ACTIVE.value,
                     "source": SubscriptionSource.IMPORT.value, "delivery_enabled": True,
                     "token": new_subscription_token(), "bounce_score": 0.0,
                     "created_at": now, "subscribed_at": now, "confirmed_at": now})
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(Subscription), rows[start:start + 1000])
    post = posting.compose(ACTOR, mailing_list, posting.PostInput(
        subject="Annual meeting: programme and registration", body=BODY,
        body_format=body_format))
    db.session.commit()
    for table in ("subscriptions", "mailing_lists", "posts"):
        db.session.execute(sa.text(f"ANALYZE {table}"))
    db.session.commit()
    return post, {row["email"]: row["token"] for row in rows}


def check_sink(report: dict, tokens: dict[str, str], what: str) -> list[str]:
    """What is wrong with what the sink received (nothing: an empty list)."""
    problems = []
    expected = len(tokens)
    if report["messages"] != expected or report["recipients"] != expected:
        problems.append(f"{what}: the sink got {report['messages']:,} messages for "
                        f"{report['recipients']:,} recipients, expected {expected:,}")
    received = report["tokens"]
    if set(received) != set(tokens):
        problems.append(f"{what}: {len(set(tokens) - set(received)):,} subscribers got "
                        f"nothing, {len(set(received) - set(tokens)):,} unknown recipients")
    wrong = sum(1 for email, token in received.items() if tokens.get(email) != token)
    if wrong:
        problems.append(f"{what}: {wrong:,} copies with another subscriber's VERP token")
    if report["personalised"] != report["messages"]:
        problems.append(f"{what}: {report['messages'] - report['personalised']:,} copies "
                        "without their recipient's own unsubscribe link")
    return problems


# --- the timed worker, with cheap instrumentation ---------------------------------------

class Details(Timers):
    """Seconds spent (summed over the worker's threads) in a few functions, and the SQL
    statements sent, by their first word."""

    def install(self, engine) -> None:
        # claim() and record() are looked up in delivery's globals by Worker._one_batch.
        self.patch(delivery, "claim", "claim (select + update + commit)")
        self.patch(delivery, "record", "record (update + commit)")
        self.patch(PostMessage, "render", "render one copy")
        self.listen(engine)

    def classify(self, word: str, statement: str) -> str:
        return "SELECT ... FOR UPDATE" if word == "SELECT" and " FOR UPDATE" in statement \
            else word


class TimedTransport:
    """The app's own transport, with its send_raw timed."""

    def __init__(self, inner, details: Details):
        self.inner = inner
        self.send_raw = details.timed("SMTP send_raw", inner.send_raw)
        self.details = details

    def __enter__(self):
        start = time.perf_counter()
        self.inner.__enter__()
        self.details.add("SMTP connect/quit", time.perf_counter() - start)
        return self

    def __exit__(self, *exc):
        start = time.perf_counter()
        try:
            return self.inner.__exit__(*exc)
        finally:
            self.details.add("SMTP connect/quit", time.perf_counter() - start)


def profiled_connections(profiles: list[cProfile.Profile]):
    """Worker._connection run under one cProfile per thread (cProfile sees one thread)."""
    original = delivery.Worker._connection
    lock = threading.Lock()

    def _connection(self) -> None:
        profile = cProfile.Profile()
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()
            with lock:
                profiles.append(profile)

    return original, _connection


def deliver(app, options: delivery.Options, details: Details | None,
            profiles: list[cProfile.Profile] | None) -> tuple[float, delivery.Tally]:
    factory = None
    if details is not None:
        with app.app_context():
            details.install(db.engine)

        def factory():
            return TimedTransport(transport_from_config(app.config), details)
    original = None
    if profiles is not None:
        original, replacement = profiled_connections(profiles)
        delivery.Worker._connection = replacement
    try:
        worker = delivery.Worker(app, options, factory)
        start = time.perf_counter()
        tally = worker.run()
        return time.perf_counter() - start, tally
    finally:
        if original is not None:
            delivery.Worker._connection = original
        if details is not None:
            details.remove()


# --- the floor ---------------------------------------------------------------------------

def prebuild(post: Post) -> list[tuple[str, str, bytes]]:
    """(envelope sender, recipient, bytes) of every copy, as the worker would render them."""
    message = PostMessage(post)
    rows = db.session.execute(sa.select(Subscription.email, Subscription.name,
                                        Subscription.token)
                              .where(Subscription.list_id == post.list_id)
                              .order_by(Subscription.id)).all()
    built = []
    for email, name, token in rows:
        recipient = Recipient(email, name, token)
        built.append((message.envelope_sender(recipient), email, message.render(recipient)))
    return built


def floor(port: int, messages: list[tuple[str, str, bytes]], connections: int) -> float:
    errors: list[BaseException] = []

    def send(share: list[tuple[str, str, bytes]]) -> None:
        try:
            smtp = smtplib.SMTP(HOST, port, timeout=30)
            for sender, recipient, data in share:
                smtp.sendmail(sender, [recipient], data)
            smtp.quit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(messages[n::connections],))
               for n in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


# --- the run -------------------------------------------------------------------------------

def run(arguments, url: str, folder: Path) -> int:
    sink = Sink(arguments.sink)
    try:
        return measure(arguments, url, folder, sink)
    finally:
        sink.stop()


def measure(arguments, url: str, folder: Path, sink: Sink) -> int:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING",
                      "MAIL_BACKEND": "smtp", "SMTP_HOST": HOST, "SMTP_PORT": sink.port,
                      "SMTP_SECURITY": "none", "MAIL_CONNECTIONS": arguments.connections,
                      "MAIL_RATE_PER_SECOND": 0, "MAIL_RATE_PER_HOUR": 0})
    count = arguments.subscribers
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade()
        started = time.perf_counter()
        post, tokens = fill(count, arguments.format)
        print(f"{count:,} subscriptions and a draft written in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        start = time.perf_counter()
        queued = posting.send(ACTOR, post)
        db.session.commit()
        queue_seconds = time.perf_counter() - start
        assert queued == count, f"send() queued {queued:,}, expected {count:,}"
        post_id = post.id
        db.session.remove()

    options = delivery.Options.from_config(app.config, once=True,
                                           connections=arguments.connections,
                                           batch=arguments.batch,
                                           record_every=arguments.record_every)
    details = None if arguments.no_details else Details()
    profiles: list[cProfile.Profile] | None = [] if arguments.profile else None
    load = os.getloadavg()[0]
    cpu = time.process_time()
    deliver_seconds, tally = deliver(app, options, details, profiles)
    deliver_cpu = time.process_time() - cpu
    received = sink.report()
    problems = check_sink(received, tokens, "worker")
    if tally.sent != count or tally.retry or tally.failed:
        problems.append(f"worker: {tally.sent:,} sent, {tally.retry:,} retry, "
                        f"{tally.failed:,} failed; expected {count:,} sent")
    with app.app_context():
        post = db.session.get(Post, post_id)
        progress = posting.progress(post)
        if progress.sent != count or not progress.done:
            problems.append(f"outbox after the worker: {progress.as_dict()}")
        floor_seconds = None
        if not arguments.backend_only:
            messages = prebuild(post)
            size = sum(len(data) for _, _, data in messages) / len(messages)
        db.session.remove()
        db.engine.dispose()

    if not arguments.backend_only:
        floor_cpu = time.process_time()
        floor_seconds = floor(sink.port, messages, arguments.connections)
        floor_cpu = time.process_time() - floor_cpu
        floor_received = sink.report()
        problems += check_sink(floor_received, tokens, "floor")
    else:
        size = received["bytes"] / max(1, received["messages"])

    name = "PostgreSQL" if dialect == "postgresql" else "SQLite"
    print(f"\nMail delivery: one {arguments.format} post to {count:,} subscribers, {name}, "
          f"{arguments.connections} SMTP connection(s), {arguments.sink} sink, batch "
          f"{options.batch}, results "
          f"committed every {options.record_every}; {os.cpu_count()} CPUs, load average "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after; copies of "
          f"{size / 1024:.1f} KB on average")
    rows = [("queue (posting.send + commit)", queue_seconds, None, None, None),
            ("delivery (Worker.run, once)", deliver_seconds, count / deliver_seconds,
             deliver_cpu, received["cpu"])]
    if floor_seconds is not None:
        rows.append(("floor (smtplib, pre-built)", floor_seconds, count / floor_seconds,
                     floor_cpu, floor_received["cpu"]))
    print(f"{'':30} {'seconds':>8} {'msg/s':>6} {'CPU s':>6} {'ms/copy':>7} "
          f"{'sink CPU s':>10} {'ms/copy':>7}")
    for label, seconds, rate, cpu_seconds, sink_cpu in rows:
        if rate is None:
            print(f"{label:30} {seconds:8.2f}")
            continue
        print(f"{label:30} {seconds:8.2f} {rate:6.0f} {cpu_seconds:6.2f} "
              f"{cpu_seconds / count * 1000:7.2f} {sink_cpu:10.2f} {sink_cpu / count * 1000:7.2f}")
    print("(CPU: this process's, i.e. the worker's or the floor's threads; sink CPU: the SMTP "
          "sink's process over the same run. On a machine with few CPUs the two compete.)")
    if floor_seconds is not None:
        print(f"ratio delivery / floor: {deliver_seconds / floor_seconds:.2f}")
    print(f"(Mailman 3, as the issue states it: 15-20 s for 1,000 copies; at that pace "
          f"{count:,} would take {count * 15 / 1000:,.0f}-{count * 20 / 1000:,.0f} s)")
    if details is not None:
        print_details(details, deliver_seconds, arguments.connections, count)
    if profiles:
        print_profile(profiles, arguments.profile_lines)
    if problems:
        print("\nPROBLEMS:", *problems, sep="\n  ")
        return 1
    print(f"\nChecked: the sink got {count:,} distinct recipients once each (worker"
          f"{'' if arguments.backend_only else ' and floor'}), each with its own VERP "
          f"token and unsubscribe link; the outbox says {count:,} sent.")
    return 0


def print_details(details: Details, wall: float, connections: int, count: int) -> None:
    threads = wall * connections
    print(f"\nWhere the worker's threads spent their time ({connections} x {wall:.2f} s = "
          f"{threads:.2f} thread-seconds; per copy in microseconds):")
    measured = 0.0
    for name in ("claim (select + update + commit)", "record (update + commit)",
                 "render one copy", "SMTP send_raw", "SMTP connect/quit"):
        seconds = details.seconds.get(name, 0.0)
        measured += seconds
        print(f"  {name:34} {seconds:7.2f} s {seconds / threads:6.1%} "
              f"{seconds / count * 1e6:8.0f} us  ({details.calls.get(name, 0):,} calls)")
    rest = threads - measured
    print(f"  {'the rest (fetch, lazy loads, ...)':34} {rest:7.2f} s {rest / threads:6.1%} "
          f"{rest / count * 1e6:8.0f} us")
    statements = sum(details.statements.values())
    print(f"  SQL: {statements:,} statements ({statements / count:.2f} per copy), "
          f"{details.sql_seconds:.2f} s in the driver; "
          + ", ".join(f"{word} {n:,}" for word, n in details.statements.most_common()))


def print_profile(profiles: list[cProfile.Profile], lines: int) -> None:
    stats = pstats.Stats(profiles[0], stream=io.StringIO())
    for profile in profiles[1:]:
        stats.add(profile)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(order).print_stats(lines)
        text = out.getvalue()
        print(f"\ncProfile of the worker's threads (summed), by {order}:")
        print(text[text.find("   ncalls"):].rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: .venv/bin/python bench/bench_mail.py --pg "
               "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--subscribers", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--connections", type=int, default=4,
                        help="SMTP connections, the worker's and the floor's (4)")
    parser.add_argument("--format", choices=[f.value for f in PostFormat],
                        default=PostFormat.MARKDOWN.value,
                        help="the post's format (markdown: text + HTML parts)")
    parser.add_argument("--batch", type=int, help="copies claimed at once (worker default)")
    parser.add_argument("--record-every", type=int,
                        help="copies sent before their results are committed (worker default)")
    parser.add_argument("--sink", choices=["aiosmtpd", "raw"], default="aiosmtpd",
                        help="the SMTP sink: aiosmtpd (default), or a minimal one that "
                             "costs less CPU per message (see RawSink)")
    parser.add_argument("--backend-only", action="store_true",
                        help="time the worker only, not the smtplib floor")
    parser.add_argument("--no-details", action="store_true",
                        help="no timers inside the worker (to check they cost nothing)")
    parser.add_argument("--profile", action="store_true",
                        help="run the worker's threads under cProfile and print the top")
    parser.add_argument("--profile-lines", type=int, default=30)
    add_database_options(parser)
    arguments = parser.parse_args()
    if arguments.subscribers < 1 or arguments.connections < 1:
        parser.error("--subscribers and --connections must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as folder, \
            database(arguments, Path(folder), "coalition_bench_mail") as url:
        status = run(arguments, url, Path(folder))
    sys.exit(status)


if __name__ == "__main__":
    main()
