"""Fixtures: an app per test on its own database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import make_url

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
    """Creates throwaway databases on the test server and drops them afterwards."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.prefix = f"coalition_test_{os.getpid()}"
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.template: str | None = None

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(_counter)}"
        with self.admin.connect() as connection:
            clause = f' TEMPLATE "{template}"' if template else ""
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def with_schema(self) -> str:
        if self.template is None:
            self.template = self.create()
            _create_schema(self.url_for(self.template))
        return self.create(template=self.template)


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
    if server.template:
        server.drop(server.template)
    server.admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path, sqlite_template) -> Iterator[str]:
    """A fresh database with the schema, for this test alone."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.with_schema()
    yield server.url_for(name)
    server.drop(name)


_sampled: dict[str, tuple[str, object]] = {}


@pytest.fixture
def sampled_database(backend, request, tmp_path, sqlite_template) -> Iterator[tuple[str, object]]:
    """A fresh database holding the quality gates' representative data, and its Samples.

    The data is made once per backend and cloned for each test (a file copy on SQLite, a
    template on PostgreSQL), so tests that need all of it stay fast."""
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
    name = server.create(template=make_url(url).database)
    yield server.url_for(name), samples
    server.drop(name)


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
