"""Fixtures: an app per test on its own database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import email
import email.policy
import gc
import graphlib
import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from coalition import create_app
from coalition.db import configure_engine
from coalition.extensions import db as _db
from tests.factories import (  # noqa: F401  (fixtures)
    create_member,
    create_organization,
    create_user,
    focal,
    member,
)

PG_URL = os.environ.get("COALITION_TEST_POSTGRES_URL", "")
# PostgreSQL joins every database test when configured; otherwise the header says so once.
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
_counter = itertools.count()


def pytest_report_header(config) -> list[str]:
    postgres = PG_URL or "not configured: set COALITION_TEST_POSTGRES_URL to run on it too"
    required = os.environ.get("COALITION_REQUIRE_BROWSER") == "1"
    chromium = Path("/usr/bin/chromium")
    browser = (f"{chromium}" if chromium.exists() else "Chromium missing") + \
        (" (required: COALITION_REQUIRE_BROWSER=1)" if required else "")
    return [f"coalition databases: sqlite, postgresql ({postgres})" if PG_URL
            else f"coalition databases: sqlite only; postgresql {postgres}",
            f"coalition browser tests: {browser}"]


# --- databases ------------------------------------------------------------------------

def _create_schema(url: str) -> None:
    from coalition.models import metadata

    engine = sa.create_engine(url)
    configure_engine(engine)
    metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _create_schema(f"sqlite:///{path}")
    return path


class PostgresServer:
    """Makes databases on the test server and drops them at the end of the session: the
    templates, this process's reused clone of each, and throwaway ones on request."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.prefix = f"coalition_test_{os.getpid()}"
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.template: str | None = None
        self.templates: list[str] = []
        self.reused: dict[str, ReusedDatabase] = {}

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def conninfo(self, name: str) -> str:
        """The database's address for psycopg itself (the URL without SQLAlchemy's driver)."""
        return self.url.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        with self.admin.connect() as connection:
            clause = f' TEMPLATE "{template}"' if template else ""
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def schema_template(self) -> str:
        if self.template is None:
            self.template = self.create()
            self.templates.append(self.template)
            _create_schema(self.url_for(self.template))
        return self.template

    def with_schema(self) -> str:
        """A new database with the schema, kept until the end of the session."""
        name = self.create(template=self.schema_template())
        self.templates.append(name)
        return name

    def reused_database(self, template: str) -> ReusedDatabase:
        """This process's clone of `template`, made on first use."""
        if template not in self.reused:
            self.reused[template] = ReusedDatabase(self, template)
        return self.reused[template]

    def close(self) -> None:
        for database in self.reused.values():
            database.close()
        for name in reversed(self.templates):
            self.drop(name)
        self.admin.dispose()


class ReusedDatabase:
    """A clone of a template that this process's tests use in turn, put back as cloned
    after each test: the tables a test changed (and those that refer to them) are emptied
    and get the template's rows back, sequences are set back. That takes milliseconds
    where a clone per test (CREATE DATABASE ... TEMPLATE, then DROP) took 250 ms to more
    than a second.

    What a reset cannot vouch for gets a new clone, as every test used to: a connection
    still open after the test (a thread or process that could write into the next test),
    a changed schema, a reset that fails. The planner sees what it saw in a clone:
    autovacuum is off, so no table ever gets statistics, and a table left with more than
    BLOAT_PAGES pages of deleted rows (a DELETE leaves its pages, the planner counts them)
    is truncated instead."""

    BLOAT_PAGES = 4
    WAIT_SECONDS = 2.0

    def __init__(self, server: PostgresServer, template: str):
        self.server = server
        self.template = template
        self.clones = 0
        self.order: list[str] | None = None
        self._clone()

    @property
    def url(self) -> str:
        return self.server.url_for(self.name)

    def _clone(self) -> None:
        self.name = self.server.create(template=self.template)
        self.clones += 1
        self.connection = psycopg.connect(self.server.conninfo(self.name), autocommit=True)
        tables = self._rows(_TABLES)
        self.columns = {name: columns for name, columns, _ in tables}
        self.sizes = {name: size for name, _, size in tables}
        parents: dict[str, set[str]] = {name: set() for name in self.columns}
        self.children: dict[str, set[str]] = {name: set() for name in self.columns}
        for child, parent in self._rows(_FOREIGN_KEYS):
            if child != parent:
                parents[child].add(parent)
                self.children[parent].add(child)
        try:
            self.order = list(graphlib.TopologicalSorter(parents).static_order())
        except graphlib.CycleError:
            self.order = None  # no order to delete and copy rows in: every reset clones
        self.rows = {name: self._copy_out(name) for name in self.columns}
        self.counts = {name: self._rows(f"SELECT count(*) FROM {name}")[0][0]
                       for name in self.columns}
        self.sequences = {name: self._rows(f"SELECT last_value, is_called FROM {name}")[0]
                          for name, in self._rows(_SEQUENCES)}
        for name in self.columns:
            self.connection.execute(f"ALTER TABLE {name} SET (autovacuum_enabled = off)")
        self.signature = self._rows(_SIGNATURE)[0][0]
        # Rows written after this transaction are a test's.
        self.reset_xid = self._rows("SELECT txid_current() % 4294967296")[0][0]

    def _rows(self, query: str) -> list[tuple]:
        return self.connection.execute(query).fetchall()

    def _copy_out(self, table: str) -> bytes:
        with self.connection.cursor().copy(
                f"COPY {table} ({self.columns[table]}) TO STDOUT") as copy:
            return b"".join(bytes(chunk) for chunk in copy)

    def reset(self) -> None:
        """Put the database back as it was cloned, or replace it by a new clone."""
        try:
            if self.order is not None and self._alone() and \
                    self._rows(_SIGNATURE)[0][0] == self.signature:
                self._restore()
                return
        except psycopg.Error:
            pass
        self.connection.close()
        self.server.drop(self.name)  # WITH (FORCE): whatever still holds it is cut off
        self._clone()

    def _alone(self) -> bool:
        """Whether every connection but this one has left (a closed connection's server
        process ends a moment later; an app the test let go may still hold some)."""
        start = time.monotonic()
        collected = False
        while self._rows(_OTHER_CLIENTS)[0][0]:
            waited = time.monotonic() - start
            if waited > self.WAIT_SECONDS:
                return False
            if waited > 0.1 and not collected:
                gc.collect()  # closes the pools of engines nothing refers to any more
                collected = True
            time.sleep(0.005)
        return True

    def _tables_now(self) -> list[tuple[str, int, bool]]:
        """Each table, its size in bytes, and whether a test changed it: rows were added,
        removed or rewritten since the last reset (a row's xmin is the transaction that
        wrote it)."""
        since = f"age('{self.reset_xid}'::xid)"
        return self._rows(" UNION ALL ".join(
            f"SELECT {_literal(name)}, pg_relation_size({_literal(name)}), "
            f"(SELECT count(*) FROM {name}) <> {self.counts[name]} "
            f"OR EXISTS (SELECT 1 FROM {name} WHERE age(xmin) < {since})"
            for name in self.columns))

    def _restore(self) -> None:
        tables = self._tables_now()
        # Rows cannot go while others refer to them: the referring tables are restored too.
        restored: set[str] = set()
        todo = [name for name, _, changed in tables if changed]
        while todo:
            name = todo.pop()
            if name not in restored:
                restored.add(name)
                todo.extend(self.children[name])
        bloated = [name for name, size, _ in tables
                   if name in restored and size > self.sizes[name] + self.BLOAT_PAGES * 8192]
        with self.connection.transaction():
            # Nothing here needs to survive a crash of the server: no wait for the disk.
            self.connection.execute("SET LOCAL synchronous_commit = off")
            if bloated:
                self.connection.execute(f"TRUNCATE {', '.join(bloated)} CASCADE")
            for name in reversed(self.order):
                if name in restored and name not in bloated:
                    self.connection.execute(f"DELETE FROM {name}")
            for name in self.order:
                if name in restored and self.rows[name]:
                    with self.connection.cursor().copy(
                            f"COPY {name} ({self.columns[name]}) FROM STDIN") as copy:
                        copy.write(self.rows[name])
            if self.sequences:
                self.connection.execute(" UNION ALL ".join(
                    f"SELECT setval({_literal(name)}, {value}, {called}) FROM {name} "
                    f"WHERE (last_value, is_called) IS DISTINCT FROM ({value}::bigint, {called})"
                    for name, (value, called) in self.sequences.items()))
            self.reset_xid = self._rows("SELECT txid_current() % 4294967296")[0][0]
        if bloated:  # new files for those tables: their catalog rows changed
            self.signature = self._rows(_SIGNATURE)[0][0]

    def close(self) -> None:
        self.connection.close()
        self.server.drop(self.name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_IN_SCHEMA = "relnamespace = current_schema()::regnamespace"
_TABLES = f"""
    SELECT c.oid::regclass::text,
           (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
            AND NOT a.attisdropped AND a.attgenerated = ''),
           pg_relation_size(c.oid)
    FROM pg_class c WHERE c.relkind = 'r' AND c.{_IN_SCHEMA}"""
_FOREIGN_KEYS = """
    SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
    WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"""
_SEQUENCES = f"SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S' AND {_IN_SCHEMA}"
_OTHER_CLIENTS = """
    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""
# Every DDL statement adds or rewrites rows of these catalogs (a row's xmin is the
# transaction that wrote it): a different signature means a test changed the schema.
_SIGNATURE = f"""
    SELECT md5(string_agg(entry, ',' ORDER BY entry)) FROM (
        SELECT 'class ' || oid::text || ' ' || xmin::text FROM pg_class WHERE {_IN_SCHEMA}
        UNION ALL SELECT 'column ' || attrelid::text || '.' || attnum::text || ' '
            || a.xmin::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.{_IN_SCHEMA}
        UNION ALL SELECT 'default ' || d.oid::text || ' ' || d.xmin::text FROM pg_attrdef d
            JOIN pg_class c ON c.oid = d.adrelid WHERE c.{_IN_SCHEMA}
        UNION ALL SELECT 'constraint ' || oid::text || ' ' || xmin::text FROM pg_constraint
            WHERE connamespace = current_schema()::regnamespace
        UNION ALL SELECT 'trigger ' || t.oid::text || ' ' || t.xmin::text FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid WHERE c.{_IN_SCHEMA}
        UNION ALL SELECT 'function ' || oid::text || ' ' || xmin::text FROM pg_proc
            WHERE pronamespace = current_schema()::regnamespace
        UNION ALL SELECT 'type ' || oid::text || ' ' || xmin::text FROM pg_type
            WHERE typnamespace = current_schema()::regnamespace
        UNION ALL SELECT 'schema ' || oid::text || ' ' || xmin::text FROM pg_namespace
            WHERE nspname !~ '^pg_(toast_)?temp_'
    ) AS catalog(entry)"""


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need COALITION_TEST_POSTGRES_URL "
                    "(for example postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    server = PostgresServer(PG_URL)
    try:
        with server.admin.connect():
            pass
    except sa.exc.OperationalError as error:
        pytest.fail(f"COALITION_TEST_POSTGRES_URL is set but the server is unreachable: {error}",
                    pytrace=False)
    yield server
    server.close()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path, sqlite_template) -> Iterator[str]:
    """A database with the schema and no rows, for this test alone: a copy of a template
    on SQLite; on PostgreSQL this process's reused database, emptied after the test."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    database = server.reused_database(server.schema_template())
    yield database.url
    database.reset()


_sampled: dict[str, tuple[str, object]] = {}


@pytest.fixture
def sampled_database(backend, request, tmp_path, sqlite_template) -> Iterator[tuple[str, object]]:
    """A database holding the quality gates' representative data, for this test alone,
    and its Samples.

    The data is made once per backend and then copied for each test (a file copy on
    SQLite; on PostgreSQL this process's reused database, put back after the test), so
    tests that need all of it stay fast."""
    from tests.quality import catalog

    if backend not in _sampled:
        if backend == "sqlite":
            path = tmp_path.parent / "sampled-template.db"
            shutil.copy(sqlite_template, path)
            url = f"sqlite:///{path}"
        else:
            server: PostgresServer = request.getfixturevalue("postgres")
            url = server.url_for(server.with_schema())
        app = make_test_app(url, tmp_path / "sampling")
        with app.app_context():
            samples = catalog.make_samples()
            _db.session.remove()
            _db.engine.dispose()
        _sampled[backend] = (url, samples)
    url, samples = _sampled[backend]
    if backend == "sqlite":
        path = tmp_path / "sampled.db"
        shutil.copy(make_url(url).database, path)
        yield f"sqlite:///{path}", samples
        return
    server = request.getfixturevalue("postgres")
    database = server.reused_database(make_url(url).database)
    yield database.url, samples
    database.reset()


@pytest.fixture
def empty_database_url(backend, request, tmp_path) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.create()
    yield server.url_for(name)
    server.drop(name)


# --- the app --------------------------------------------------------------------------

_compile_url_builder = Rule._compile_builder
_url_builders: dict[tuple, Callable] = {}


def _reused_url_builder(rule: Rule, append_unknown: bool = True) -> Callable:
    """Werkzeug's Rule._compile_builder, remembered across apps.

    Every app compiles a URL builder per rule (Python code generated from an AST): 70 of
    the 80 ms create_app takes. The code depends only on the rule's text, its parts and
    the names of its defaults, so each app's rules get the functions compiled for the
    first app; each app still has its own rules, map and converters.
    tests/test_fixtures.py checks that the reused code is the code werkzeug compiles."""
    defaults = rule.defaults or {}
    if any(dynamic and name in defaults for dynamic, name in rule._trace):
        return _compile_url_builder(rule, append_unknown)  # a default's value in the code
    key = (rule.rule, tuple(rule._trace), tuple(defaults), append_unknown)
    if key not in _url_builders:
        _url_builders[key] = _compile_url_builder(rule, append_unknown)
    return _url_builders[key]


Rule._compile_builder = _reused_url_builder


def make_test_app(database_url: str, instance: Path, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "BASE_URL": "http://coalition.test",
        "NAME": "Test Coalition",
        "MAIL_DOMAIN": "lists.coalition.test",
        "MAIL_BACKEND": "file",
        "OUTBOX_DIR": str(instance / "outbox"),
        # Fast hashing keeps the suite quick; production uses werkzeug's scrypt default.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change the app's settings."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_overrides) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path / "instance", **app_overrides)
    app.test_client_class = Client
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


class Client(FlaskClient):
    """A test client that adds a valid CSRF token to form posts unless told `csrf=False`."""

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = os.urandom(20).hex()
            raw = session["csrf_token"]
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, **kwargs):
        # The test's own transaction ends first, so it sees what the request writes (SQLite
        # keeps a snapshot for the length of a transaction)...
        _db.session.commit()
        # ...and each request gets its own app context (its own `g` and database session),
        # as in production, instead of sharing the one the test pushed.
        # Buffered, the response is closed as a server closes it, which runs the work
        # deferred to after the response (sending queued e-mail).
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = kwargs.get("data")
            if data is None:
                kwargs["data"] = {"csrf_token": self.csrf_token()}
            elif isinstance(data, dict) and "csrf_token" not in data:
                kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client) -> Callable:
    """Sign `user` in through the login form, the way a person does."""
    from tests.factories import PASSWORD

    def _login(user, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return _login


@pytest.fixture
def outbox(app) -> Callable[[], list[EmailMessage]]:
    """The messages the file mail backend has written so far, oldest first."""

    def _read() -> list[EmailMessage]:
        folder = Path(app.config["OUTBOX_DIR"])
        if not folder.exists():
            return []
        files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in files]

    return _read


# --- every page, rendered once for the quality gates -----------------------------------

@pytest.fixture(scope="session")
def rendered_pages(sqlite_template, tmp_path_factory):
    """Every page of tests/quality/catalog.py, fetched as its role on SQLite."""
    from tests.quality import catalog

    folder = tmp_path_factory.mktemp("catalog")
    shutil.copy(sqlite_template, folder / "catalog.db")
    app = make_test_app(f"sqlite:///{folder / 'catalog.db'}", folder / "instance",
                        PROPAGATE_EXCEPTIONS=False)
    app.test_client_class = Client
    catalog.add_error_route(app)
    with app.app_context():
        samples = catalog.make_samples()
        pages = catalog.render_all(app, catalog.cases(samples), samples)
        _db.session.remove()
        _db.engine.dispose()
    return pages
