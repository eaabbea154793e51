"""What several benchmarks share: where their database is (temporary SQLite, a throwaway
PostgreSQL database, or an empty one the caller names) and the options that choose it."""

from __future__ import annotations

import argparse
import contextlib
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
