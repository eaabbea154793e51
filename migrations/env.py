"""Alembic environment: builds (or reuses) the app and migrates its database."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

config = context.config
if config.config_file_name and not config.attributes.get("flask_app"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _app():
    app = config.attributes.get("flask_app")
    if app is None:
        from coalition import create_app

        app = create_app()
    return app


def run_migrations() -> None:
    app = _app()
    from coalition.extensions import db
    from coalition.models import metadata

    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                compare_server_default=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations()
