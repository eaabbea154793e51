"""Benchmark: posting by e-mail. N messages handed over by real LMTP to the app's LMTP
server, for a discussion list whose M subscribers may post directly: each message stored,
put through the posting rules and queued to the outbox (M delivery rows per post).

Run by hand or with `make bench`:

    .venv/bin/python bench/bench_inbound.py [--messages N] [--subscribers M]
        [--connections C] [--attachment-kb KB] [--profile] [--pg URL | --database-url URL]

Setup, not timed: a fresh database (SQLite in a temporary folder; or, with --pg, a
throwaway database on that PostgreSQL server, dropped at the end; or the empty database
--database-url names, which is left filled), migrated to the newest schema; a discussion
list (posting policy: subscribers) with M active subscriptions written in bulk; the app's
LMTP server (coalition.mail.lmtp.LMTPController) on a free local port in this process, as
`coalition mail lmtp` runs it.

Timed: a client process (its CPU does not compete with the server's GIL) builds the N
messages beforehand (plain text of about 1.5 KB, in threads of five; with --attachment-kb,
each also carries a PDF of that size, base64), opens C smtplib.LMTP connections (LHLO), then
sends its share of the messages over each, one recipient each: MAIL FROM, RCPT TO, DATA.
Throughput is N over the client's wall time from the first MAIL FROM to the last DATA
reply; latency is per message, MAIL FROM to DATA reply. CPU is the server process's (the
LMTP server's event loop and its worker threads) over the same time.

Checked afterwards (the run fails loudly otherwise): every reply was "250 ... stored
(handled #id)"; N InboundMessage rows, all handled; N posts from e-mail, queued, each for
M recipients; N x M delivery rows.

The server's worker threads are timed cheaply (perf_counter around the RCPT lookup, the
store-and-commit, the handling and posting.queue_copies inside it) and its SQL statements
counted; --profile also runs each message's handling under cProfile (the event loop's
thread, where aiosmtpd reads the message, is not profiled).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import math
import multiprocessing
import os
import pstats
import random
import signal
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRET_KEY, Timers, add_database_options, database, free_port
from coalition import create_app
from coalition.auth.models import SystemActor
from coalition.extensions import db
from coalition.mail import inbound, lmtp, posting, services
from coalition.mail.models import (
    Delivery,
    InboundMessage,
    InboundStatus,
    ListKind,
    Post,
    PostingPolicy,
    PostSource,
    PostStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    new_subscription_token,
)
from coalition.migrate import upgrade

HOST = "127.0.0.1"
DOMAIN = "example.org"
LIST_NAME = "bench-discuss"
ACTOR = SystemActor("command: bench")
THREAD_LENGTH = 5  # a message and four replies to it
PARAGRAPH = (
    "Thank you for circulating the draft. On the section about cross-border data flows, "
    "our working group would like to see the recommendations on regional exchange points "
    "made more concrete: which operators, which timelines, and who reports on progress. "
    "We can offer two case studies from community networks in rural areas, and would be "
    "glad to present them at the open consultation.\n")


def sender(index: int, subscribers: int) -> tuple[str, str]:
    """(name, address) of the subscriber who writes message `index`: spread over the list."""
    number = index * 7919 % subscribers
    return f"Subscriber {number}", f"subscriber{number}@example.net"


# --- the client, in its own process --------------------------------------------------------

def build(count: int, subscribers: int, attachment_kb: int) -> list[tuple[str, bytes]]:
    """(envelope sender, bytes) of each message, as a mail program would send them."""
    rng = random.Random(count)
    attachment = rng.randbytes(attachment_kb * 1024) if attachment_kb else b""
    run = f"{time.time_ns():x}"
    built = []
    for index in range(count):
        name, address = sender(index, subscribers)
        first = index - index % THREAD_LENGTH
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = f"{name} <{address}>"
        message["To"] = f"{LIST_NAME}@{DOMAIN}"
        message["Subject"] = (f"Draft policy paper, part {first // THREAD_LENGTH}"
                              if first == index
                              else f"Re: Draft policy paper, part {first // THREAD_LENGTH}")
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<bench-{run}-{index}@example.net>"
        if first != index:
            message["In-Reply-To"] = f"<bench-{run}-{first}@example.net>"
            message["References"] = f"<bench-{run}-{first}@example.net>"
        message.set_content(f"Dear colleagues,\n\n{PARAGRAPH * 3}\nBest regards,\n{name}\n")
        if attachment:
            message.add_attachment(attachment, maintype="application", subtype="pdf",
                                   filename=f"comments-{index}.pdf")
        built.append((address, message.as_bytes()))
    return built


def client_main(connection, port: int, count: int, subscribers: int, connections: int,
                attachment_kb: int) -> None:
    """Build, connect, wait for "go", send; report the replies and the timings."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it, also on Ctrl-C
    messages = build(count, subscribers, attachment_kb)
    clients = []
    for _ in range(connections):
        client = smtplib.LMTP(HOST, port, timeout=600)
        client.ehlo()  # LHLO
        clients.append(client)
    connection.send(("ready", sum(len(data) for _, data in messages) / count))
    assert connection.recv() == "go"
    results: list[tuple[float, float, int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send(client: smtplib.LMTP, share: list[tuple[str, bytes]]) -> None:
        mine = []
        try:
            for address, data in share:
                started = time.perf_counter()
                code, reply = client.mail(address)
                if code == 250:
                    code, reply = client.rcpt(f"{LIST_NAME}@{DOMAIN}")
                if code == 250:
                    code, reply = client.data(data)
                else:
                    client.rset()
                mine.append((started, time.perf_counter(), code,
                             reply.decode("utf-8", "replace")))
            client.quit()
        except BaseException as error:
            errors.append(error)
        with lock:
            results.extend(mine)

    cpu = time.process_time()
    threads = [threading.Thread(target=send, args=(client, messages[n::connections]))
               for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.send({"results": results, "cpu": time.process_time() - cpu,
                     "errors": [repr(error) for error in errors]})


class Client:
    def __init__(self, port: int, arguments) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the app, its engine
        self.connection, child = context.Pipe()
        self.process = context.Process(target=client_main, daemon=True, args=(
            child, port, arguments.messages, arguments.subscribers, arguments.connections,
            arguments.attachment_kb))
        self.process.start()

    def ready(self) -> float:
        """Waits until the messages are built and the connections open; their mean size."""
        if not self.connection.poll(600):
            raise RuntimeError("the LMTP client was not ready within ten minutes")
        _, size = self.connection.recv()
        return size

    def run(self) -> dict:
        self.connection.send("go")
        return self.connection.recv()

    def stop(self) -> None:
        self.process.join(15)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


# --- setup ----------------------------------------------------------------------------------

def fill(subscribers: int, attachment_kb: int) -> None:
    """The discussion list and its subscribers, who may all post directly."""
    mailing_list = services.create_list(ACTOR, services.ListInput(
        name=LIST_NAME, display_name="Policy discussion", kind=ListKind.DISCUSSION.value,
        posting_policy=PostingPolicy.SUBSCRIBERS.value, subject_prefix="[Policy]",
        footer="You receive this as a participant in the coalition's work.",
        max_message_kb=max(1024, 2 * attachment_kb)))
    db.session.flush()
    now = datetime.now(UTC)
    rows = [{"list_id": mailing_list.id, "email": f"subscriber{n}@example.net",
             "name": f"Subscriber {n}", "status": SubscriptionStatus.ACTIVE.value,
             "source": SubscriptionSource.IMPORT.value, "delivery_enabled": True,
             "token": new_subscription_token(), "bounce_score": 0.0, "created_at": now,
             "subscribed_at": now, "confirmed_at": now} for n in range(subscribers)]
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(Subscription), rows[start:start + 1000])
    db.session.commit()
    # As autovacuum would soon after a bulk load: the planner needs the tables' statistics.
    for table in ("subscriptions", "mailing_lists"):
        db.session.execute(sa.text(f"ANALYZE {table}"))
    db.session.commit()


# --- cheap instrumentation of the server ----------------------------------------------------

class Details(Timers):
    """Seconds spent (summed over the server's worker threads) in a few functions, the SQL
    statements sent by their first word, and optionally a cProfile of each message."""

    def __init__(self, profile: bool) -> None:
        super().__init__()
        self.profile = profile
        self.stats: pstats.Stats | None = None

    def timed(self, name: str, function, profiled: bool = False):
        if not (profiled and self.profile):
            return super().timed(name, function)

        def wrapper(*args, **kwargs):
            profile = cProfile.Profile()
            start = time.perf_counter()
            profile.enable()
            try:
                return function(*args, **kwargs)
            finally:
                profile.disable()
                self.add(name, time.perf_counter() - start)
                with self.lock:
                    if self.stats is None:
                        self.stats = pstats.Stats(profile, stream=io.StringIO())
                    else:
                        self.stats.add(profile)
        return wrapper

    def install(self, engine) -> None:
        self.patch(lmtp.InboundHandler, "_known", "RCPT: list lookup")
        self.patch(lmtp.InboundHandler, "deliver", "DATA: store, commit, handle", True)
        self.patch(inbound, "process", "handle (inbound.process)")
        self.patch(posting, "queue_copies", "posting.queue_copies")
        self.listen(engine)

    def classify(self, word: str, statement: str) -> str:
        return "INSERT ... SELECT" if word == "INSERT" and " SELECT " in statement else word


# --- the run --------------------------------------------------------------------------------

def check(app, arguments, results: list[tuple[float, float, int, str]]) -> list[str]:
    """What is wrong with the replies and the database after the run (nothing: [])."""
    count, subscribers = arguments.messages, arguments.subscribers
    problems = []
    if len(results) != count:
        problems.append(f"{len(results):,} replies for {count:,} messages")
    wrong = [(code, reply) for _, _, code, reply in results
             if code != 250 or "(handled #" not in reply]
    if wrong:
        problems.append(f"{len(wrong):,} replies other than 250 ... (handled #id), "
                        f"the first: {wrong[0]}")
    with app.app_context():
        stored = dict(db.session.execute(sa.select(
            InboundMessage.status, sa.func.count()).group_by(InboundMessage.status)).all())
        if stored != {InboundStatus.HANDLED.value: count}:
            outcomes = db.session.scalars(sa.select(InboundMessage.outcome).where(
                InboundMessage.status != InboundStatus.HANDLED.value).limit(3)).all()
            problems.append(f"inbound messages by status: {stored}, expected {count:,} "
                            f"handled; for instance: {outcomes}")
        posts = dict(db.session.execute(sa.select(Post.status, sa.func.count()).where(
            Post.source == PostSource.EMAIL.value).group_by(Post.status)).all())
        if posts != {PostStatus.QUEUED.value: count}:
            problems.append(f"posts from e-mail by status: {posts}, expected {count:,} queued")
        short = db.session.scalar(sa.select(sa.func.count()).select_from(Post).where(
            Post.recipient_count != subscribers))
        if short:
            problems.append(f"{short:,} posts not queued for {subscribers:,} recipients")
        deliveries = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
        if deliveries != count * subscribers:
            problems.append(f"{deliveries:,} delivery rows, expected "
                            f"{count * subscribers:,}")
        db.session.remove()
    return problems


def measure(arguments, url: str, folder: Path) -> int:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING", "MAIL_DOMAIN": DOMAIN})
    count, subscribers = arguments.messages, arguments.subscribers
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade()
        started = time.perf_counter()
        fill(subscribers, arguments.attachment_kb)
        print(f"{subscribers:,} subscriptions written in {time.perf_counter() - started:.1f} s",
              flush=True)
        db.session.remove()

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # as `coalition mail lmtp` does
    details = Details(arguments.profile)
    with app.app_context():
        details.install(db.engine)
    port = free_port()
    controller = lmtp.LMTPController(app, HOST, port)
    controller.start()
    client = Client(port, arguments)
    try:
        size = client.ready()
        load = os.getloadavg()[0]
        cpu = time.process_time()
        report = client.run()
        server_cpu = time.process_time() - cpu
    finally:
        client.stop()
        controller.stop()
        details.remove()
    results = report["results"]
    problems = [f"client: {error}" for error in report["errors"]]
    problems += check(app, arguments, results)
    with app.app_context():
        db.engine.dispose()

    latencies = sorted(end - start for start, end, _, _ in results) or [0.0]
    wall = (max(end for _, end, _, _ in results) - min(start for start, _, _, _ in results)
            if results else float("nan"))
    name = "PostgreSQL" if dialect == "postgresql" else "SQLite"
    kind = (f"with a {arguments.attachment_kb} KB attachment" if arguments.attachment_kb
            else "plain text")
    print(f"\nPosting by e-mail: {count:,} messages ({kind}, {size / 1024:.1f} KB on "
          f"average) to a discussion list of {subscribers:,} subscribers, {name}, "
          f"{arguments.connections} LMTP connection(s); {os.cpu_count()} CPUs, load average "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after")
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
    print(f"  throughput          {count / wall:8.1f} messages/s ({wall:.2f} s, first MAIL "
          f"FROM to last reply; {count * subscribers / wall:,.0f} delivery rows/s)")
    print(f"  latency per message {statistics.mean(latencies) * 1000:8.1f} ms mean, "
          f"{p95 * 1000:.1f} ms p95, {latencies[-1] * 1000:.1f} ms max (MAIL FROM to DATA "
          "reply)")
    print(f"  server CPU          {server_cpu:8.2f} s ({server_cpu / wall:.0%} of one CPU, "
          f"{server_cpu / count * 1000:.1f} ms a message); client process "
          f"{report['cpu']:.2f} s")
    threads = sum(details.seconds[n] for n in ("RCPT: list lookup",
                                               "DATA: store, commit, handle"))
    print(f"\nWhere the server's worker threads spent their time ({threads:.2f} thread-"
          f"seconds, {threads / wall:.0%} of the wall time; per message):")
    for label in ("RCPT: list lookup", "DATA: store, commit, handle",
                  "handle (inbound.process)", "posting.queue_copies"):
        seconds = details.seconds.get(label, 0.0)
        indent = {"handle (inbound.process)": "  ", "posting.queue_copies": "    "}.get(label, "")
        print(f"  {indent + label:34} {seconds:7.2f} s {seconds / count * 1000:8.1f} ms  "
              f"({details.calls.get(label, 0):,} calls)")
    statements = sum(details.statements.values())
    print(f"  SQL: {statements:,} statements ({statements / count:.1f} a message), "
          f"{details.sql_seconds:.2f} s in the driver; "
          + ", ".join(f"{word} {n:,}" for word, n in details.statements.most_common()))
    if details.stats is not None:
        # By own time, everything; by cumulative time, the app's functions only (what
        # each step of the handling costs, SQLAlchemy included).
        for order, only, what in (("tottime", (), "all functions"),
                                  ("cumulative", ("/coalition/",), "the app's functions")):
            out = io.StringIO()
            details.stats.stream = out
            details.stats.sort_stats(order).print_stats(*only, arguments.profile_lines)
            text = out.getvalue()
            print(f"\ncProfile of the messages' handling (worker threads, summed), {what} "
                  f"by {order}:")
            print(text[text.find("   ncalls"):].rstrip())
    if problems:
        print("\nPROBLEMS:", *problems, sep="\n  ")
        return 1
    print(f"\nChecked: {count:,} replies 250 (handled); {count:,} inbound messages handled; "
          f"{count:,} posts queued for {subscribers:,} each; {count * subscribers:,} "
          "delivery rows.")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: .venv/bin/python bench/bench_inbound.py --pg "
               "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--messages", type=int, default=200, help="default 200")
    parser.add_argument("--subscribers", type=int, default=1000, help="default 1,000")
    parser.add_argument("--connections", type=int, default=1,
                        help="LMTP clients sending at once (1)")
    parser.add_argument("--attachment-kb", type=int, default=0,
                        help="attach a PDF of this many KB to each message (none)")
    parser.add_argument("--profile", action="store_true",
                        help="run each message's handling under cProfile; print the top")
    parser.add_argument("--profile-lines", type=int, default=30)
    add_database_options(parser)
    arguments = parser.parse_args()
    if min(arguments.messages, arguments.subscribers, arguments.connections) < 1 \
            or arguments.attachment_kb < 0:
        parser.error("--messages, --subscribers and --connections must be at least 1")
    # `kill` as well as Ctrl-C unwinds through the finally blocks (client, database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as folder, \
            database(arguments, Path(folder), "coalition_bench_inbound") as url:
        status = measure(arguments, url, Path(folder))
    sys.exit(status)


if __name__ == "__main__":
    main()
