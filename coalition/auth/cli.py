"""`coalition users add|invite|list`: logins from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from coalition.auth import queries, services
from coalition.auth.models import Role, SystemActor
from coalition.errors import ValidationError
from coalition.extensions import db

ROLES = click.Choice([role.value for role in Role])


@click.group("users", help="Logins and invitations.")
def users_cli() -> None:
    pass


@users_cli.command("add", help="Create a login with a password.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=ROLES, default=Role.MEMBER.value, show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def add_command(email: str, name: str, role: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(SystemActor("command: users add"), email=email, name=name,
                                    role=role, password=password)
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.role_label.lower()} {user.name} <{user.email}>.")


@users_cli.command("invite", help="E-mail an invitation to choose a password.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=ROLES, default=Role.MEMBER.value, show_default=True)
@with_appcontext
def invite_command(email: str, name: str, role: str) -> None:
    try:
        invitation = services.invite(SystemActor("command: users invite"), email=email,
                                     name=name, role=role)
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Invitation sent to {invitation.email}; it expires "
               f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC.")


@users_cli.command("list", help="List logins.")
@with_appcontext
def list_command() -> None:
    for user in queries.all_users():
        state = "active" if user.is_active else "deactivated"
        click.echo(f"{user.email}\t{user.name}\t{user.role}\t{state}")
