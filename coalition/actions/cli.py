"""`coalition actions import|export|digest`."""

from __future__ import annotations

import click


@click.group("actions", help="The action plan: import, export, digest.")
def actions_cli() -> None:
    pass
