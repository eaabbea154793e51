"""What several benchmarks share: where their database is (temporary SQLite, a throwaway
PostgreSQL database, or an empty one the caller names) and the options that choose it."""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

SECRET_KEY = "bench-secret-key-0123456789"  # noqa: S105


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """--pg URL (a throwaway database on that server) or --database-url URL."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pg", metavar="URL",
                       help="PostgreSQL server URL (a throwaway database is used)")
    where.add_argument("--database-url", metavar="URL",
                       help="an empty database, left filled (default: temporary SQLite)")


@contextlib.contextmanager
def database(arguments: argparse.Namespace, folder: Path, name: str) -> Iterator[str]:
    """The URL to fill: with --pg, database `name` created afresh on that server and
    dropped on the way out (also after an error or Ctrl-C); else --database-url, else
    SQLite in `folder`."""
    if not getattr(arguments, "pg", None):
        yield arguments.database_url or f"sqlite:///{folder / 'bench.db'}"
        return
    admin = sa.create_engine(arguments.pg, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.engine.make_url(arguments.pg).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Timers:
    """Seconds spent (summed over threads) in the functions a benchmark patches, and the SQL
    statements sent, by their first word (`classify` names special ones)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self.sql_seconds = 0.0
        self.patches: list[tuple[object, str, object]] = []
        self.engine = None

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.seconds[name] += seconds
            self.calls[name] += 1

    def timed(self, name: str, function, profiled: bool = False):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
        return wrapper

    def patch(self, owner: object, attribute: str, name: str, profiled: bool = False) -> None:
        original = getattr(owner, attribute)
        self.patches.append((owner, attribute, original))
        setattr(owner, attribute, self.timed(name, original, profiled))

    def listen(self, engine) -> None:
        self.engine = engine
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def remove(self) -> None:
        for owner, attribute, original in reversed(self.patches):
            setattr(owner, attribute, original)
        self.patches.clear()
        if self.engine is not None:
            sa.event.remove(self.engine, "before_cursor_execute", self._before)
            sa.event.remove(self.engine, "after_cursor_execute", self._after)
            self.engine = None

    def classify(self, word: str, statement: str) -> str:
        return word

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        word = self.classify(statement.lstrip().split(None, 1)[0].upper(), statement)
        with self.lock:
            self.statements[word] += 1
            self.sql_seconds += seconds
