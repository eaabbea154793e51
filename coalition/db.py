"""The declarative base shared by every model, and the column types they have in common."""

from __future__ import annotations

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

from sqlalchemy import CheckConstraint, DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints make Alembic migrations reproducible and let downgrades drop them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, vocabulary: type[enum.Enum], nullable: bool = False
           ) -> CheckConstraint:
    """A CHECK that `column` holds one of the vocabulary's values (named `<column>_valid`)."""
    values = ", ".join(f"'{v.value}'" for v in vocabulary)
    condition = f"{column} IN ({values})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"{column}_valid")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC: dates of record (joined, left) do not follow the server's zone."""
    return utcnow().date()


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive values; this type makes both backends
    return the same aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def configure_engine(engine: Engine) -> None:
    """Turn on foreign keys and WAL for SQLite connections; nothing to do for PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # pysqlite's own transaction handling starts transactions late and breaks
        # SAVEPOINT; we let SQLAlchemy emit BEGIN itself (the recipe in SQLAlchemy's docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # IMMEDIATE takes the write lock at the start: a transaction that reads and then
        # writes can otherwise fail at once with "database is locked" when another
        # connection wrote in between (WAL snapshots); this way it waits its turn. Reading
        # pages (GET) do not take it, so visitors never queue behind each other.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


READING_METHODS = ("GET", "HEAD", "OPTIONS")


# Set by `reading()`: the transactions begun in this thread (or task) only read.
_READING = ContextVar("coalition_reading", default=False)


@contextmanager
def reading():
    """Outside a request, transactions take SQLite's write lock from their start; a
    command or server thread that only reads (the LMTP server checking a recipient) says
    so, and does not wait behind the writers."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def _may_write() -> bool:
    from flask import g, has_request_context, request

    if _READING.get():
        return False
    if not has_request_context():
        return True  # commands and workers
    return request.method not in READING_METHODS or g.get("writes_on_get", False)


def writes_on_get(session) -> None:
    """Say that this GET request writes (a confirmation link, a download counter): on
    SQLite its transactions take the write lock from their start, like a POST's. Call it
    before the reads that lead to the write; a read transaction already open is ended."""
    from flask import g

    g.writes_on_get = True
    session = session() if callable(session) else session  # Flask-SQLAlchemy's scoped one
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction() \
            and not session.new and not session.dirty and not session.deleted:
        session.commit()
