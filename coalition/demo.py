"""`coalition demo load`: fictional data so a new user sees a living coalition.

Each domain adds its demo data here as it arrives. Demo passwords are generated once and
kept in instance/demo-logins.txt so `make run` can print them every time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from coalition.actions import demo as action_demo
from coalition.auth import services as auth
from coalition.auth.models import Role, SystemActor, User
from coalition.extensions import db
from coalition.mail import demo as mail_demo
from coalition.members import demo as member_demo
from coalition.reports import demo as report_demo

DEMO_USERS = (
    ("focal@example.org", "Fatima Focal", Role.FOCAL_CONTACT.value),
    ("member@example.org", "Mateo Member", Role.MEMBER.value),
)


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def load() -> list[tuple[str, str, str]]:
    """Create the demo data; returns (role, e-mail, password) for each demo login."""
    actor = SystemActor("command: demo load")
    logins, users = [], {}
    for email, name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        users[role] = auth.create_user(actor, email=email, name=name, role=role,
                                       password=password)
        logins.append((role, email, password))
    member_demo.load(actor, demo_member_login=users[Role.MEMBER.value])
    report_demo.load(actor, fy_start_month=current_app.config["FY_START_MONTH"])
    action_demo.load(actor, focal_contact=users[Role.FOCAL_CONTACT.value],
                     demo_member_login=users[Role.MEMBER.value])
    mail_demo.load(actor, focal_contact=users[Role.FOCAL_CONTACT.value])
    return logins


def _save_logins(logins: list[tuple[str, str, str]]) -> None:
    path = _logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for role, email, password in logins:
            handle.write(f"{role}\t{email}\t{password}\n")


def _print_logins() -> None:
    path = _logins_file()
    if not path.exists():
        click.echo("No demo logins recorded (this database was not filled by `demo load`).")
        return
    base = current_app.config["BASE_URL"]
    click.echo(f"\nDemo logins for {base}/login :")
    for line in path.read_text(encoding="utf-8").splitlines():
        role, email, password = line.split("\t")
        click.echo(f"  {role.replace('_', ' '):14} {email:24} password: {password}")
    click.echo("")


@click.group("demo", help="Fictional demo data.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Fill an empty database with demo data and print the logins.")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (but print the logins) if the database already has users.")
@with_appcontext
def load_command(if_empty: bool) -> None:
    if not is_empty():
        if if_empty:
            _print_logins()
            return
        raise click.ClickException("The database already has data; demo data goes into an "
                                   "empty database only.")
    logins = load()
    db.session.commit()
    _save_logins(logins)
    click.echo("Demo data loaded.")
    _print_logins()


@demo_cli.command("logins", help="Print the demo logins again.")
@with_appcontext
def logins_command() -> None:
    _print_logins()
