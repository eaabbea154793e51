"""`coalition db upgrade|downgrade|current|history`: Alembic, driven by the app's engine."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from coalition import PROJECT_ROOT


def base_config() -> Config:
    """Alembic's configuration, independent of the working directory."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def alembic_config() -> Config:
    """The configuration for the app in the current app context (and so its DATABASE_URL)."""
    config = base_config()
    config.attributes["flask_app"] = current_app._get_current_object()
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(base_config())


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


@click.group("db", help="Database schema (Alembic migrations).")
def db_cli() -> None:
    pass


@db_cli.command("upgrade", help="Bring the schema up to REVISION (default: the newest).")
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(revision: str) -> None:
    upgrade(revision)


@db_cli.command("downgrade", help="Step the schema back to REVISION (default: one step).")
@click.argument("revision", default="-1")
@with_appcontext
def downgrade_command(revision: str) -> None:
    downgrade(revision)


@db_cli.command("current", help="Show the revision the database is at.")
@with_appcontext
def current_command() -> None:
    command.current(alembic_config(), verbose=False)


@db_cli.command("history", help="List the migrations.")
@with_appcontext
def history_command() -> None:
    command.history(alembic_config())


@db_cli.command("check", help="Fail if the models differ from the newest migration.")
@with_appcontext
def check_command() -> None:
    command.check(alembic_config())


@db_cli.command("revision", help="Write a new migration from the difference to the models.")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@with_appcontext
def revision_command(message: str) -> None:
    command.revision(alembic_config(), message=message, autogenerate=True)
