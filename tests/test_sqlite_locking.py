"""On SQLite, reading pages never wait for a writer (they do not take the write lock);
requests that write still take it at the start of their transaction."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from coalition.extensions import db
from tests.factories import make_report


def _hold_write_lock(app) -> sqlite3.Connection:
    """Another connection holding SQLite's write lock, as a long import would."""
    connection = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database,
                                 isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    return connection


@pytest.fixture
def backend() -> str:
    """SQLite's locking only (this module's tests do not run on PostgreSQL)."""
    return "sqlite"


def test_a_visitor_reads_pages_while_someone_writes(app, client):
    make_report(title="Read while writing", slug="read-while-writing")
    writer = _hold_write_lock(app)
    try:
        listing = client.get("/reports/")
        page = client.get("/reports/read-while-writing")
    finally:
        writer.rollback()
        writer.close()
    assert "Read while writing" in listing.get_data(as_text=True)
    assert "Read while writing" in page.get_data(as_text=True)


@pytest.mark.parametrize(("method", "writes_on_get", "waits"), [
    ("POST", False, True), ("GET", True, True), ("GET", False, False)])
def test_only_writing_requests_take_the_write_lock(app, method, writes_on_get, waits):
    from flask import g

    writer = _hold_write_lock(app)
    try:
        with app.test_request_context("/", method=method), db.engine.connect() as connection:
            g.writes_on_get = writes_on_get
            driver = connection.connection.driver_connection
            driver.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 5 s
            try:
                if waits:
                    with pytest.raises(Exception, match="database is locked"):
                        connection.execute(text("SELECT 1"))
                else:
                    assert connection.execute(text("SELECT 1")).scalar() == 1
            finally:
                connection.rollback()
                driver.execute("PRAGMA busy_timeout = 5000")
    finally:
        writer.rollback()
        writer.close()


@pytest.mark.parametrize("reads_only", [True, False])
def test_a_command_that_says_it_only_reads_does_not_wait_for_a_writer(app, reads_only):
    """Outside a request transactions take the write lock at once, unless the code says it
    only reads (`reading()`), as the LMTP server does when it checks a recipient."""
    from contextlib import nullcontext

    from coalition.db import reading

    writer = _hold_write_lock(app)
    try:
        with reading() if reads_only else nullcontext(), db.engine.connect() as connection:
            driver = connection.connection.driver_connection
            driver.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 5 s
            try:
                if reads_only:
                    assert connection.execute(text("SELECT 1")).scalar() == 1
                else:
                    with pytest.raises(Exception, match="database is locked"):
                        connection.execute(text("SELECT 1"))
            finally:
                connection.rollback()
                driver.execute("PRAGMA busy_timeout = 5000")
    finally:
        writer.rollback()
        writer.close()
