"""Alembic environment: builds (or reuses) the app and migrates its database."""

from __future__ import annotations

from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context

from coalition.db import UTCDateTime

config = context.config
if config.config_file_name and not config.attributes.get("flask_app"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _app():
    app = config.attributes.get("flask_app")
    if app is None:
        from coalition import create_app

        app = create_app()
    return app


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so old migrations never depend on
    application code that may move or change later."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """The search index is made by hand in the migrations (see coalition/reports/search.py);
    Alembic's comparison must not ask to drop it."""
    from coalition.reports.search import is_index_object

    return not (reflected and is_index_object(name))


def run_migrations() -> None:
    app = _app()
    from coalition.extensions import db
    from coalition.models import metadata

    with app.app_context(), db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy-and-drop; with foreign keys enforced the drop
            # fails while other tables point at it. The pragma only works outside a
            # transaction, and the integrity check below runs before foreign keys come back.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            render_item=render_item,
            include_object=include_object,
            compare_type=True,
            compare_server_default=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                problems = connection.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
                if problems:
                    raise RuntimeError(f"migration broke foreign keys: {problems[:10]}")
        connection.commit()
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations()
