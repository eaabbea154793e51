"""`coalition members import|export`."""

from __future__ import annotations

import click


@click.group("members", help="Members: import and export.")
def members_cli() -> None:
    pass
