"""`coalition mail deliver|status`: the outbox worker, and what the outbox holds."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.mail.delivery import Options, Worker
from coalition.mail.models import Delivery


@click.group("mail", help="Mailing lists: the delivery worker and the outbox.")
def mail_cli() -> None:
    pass


@mail_cli.command("deliver", help="Send what the outbox holds, over reused SMTP connections. "
                  "Runs until stopped (Ctrl-C or SIGTERM finish the message in hand); "
                  "--once sends what is due now and exits.")
@click.option("--once", is_flag=True, help="Send every copy due now (each tried once), then exit.")
@click.option("--connections", type=click.IntRange(1, 32), default=None,
              help="SMTP connections in parallel (default COALITION_MAIL_CONNECTIONS).")
@click.option("--rate", "rate_per_second", type=click.IntRange(0), default=None,
              help="Messages per second at most (default COALITION_MAIL_RATE_PER_SECOND).")
@click.option("--quiet", is_flag=True, help="Print nothing when all goes well.")
@with_appcontext
def deliver_command(once: bool, connections: int | None, rate_per_second: int | None,
                    quiet: bool) -> None:
    app = current_app._get_current_object()
    options = Options.from_config(app.config, once=once, connections=connections,
                                  rate_per_second=rate_per_second)
    worker = Worker(app, options)
    previous = {}

    def _stop(signum, frame):
        worker.stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, _stop)
    if not quiet and not once:
        click.echo(f"Delivering the outbox with {options.connections} connection(s) "
                   f"({app.config['MAIL_BACKEND']} backend); Ctrl-C stops.")
    try:
        tally = worker.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if not quiet or tally.failed:
        click.echo(f"{tally.sent} sent, {tally.retry} to retry later, {tally.failed} failed.")


@mail_cli.command("status", help="How many copies the outbox holds, by state.")
@with_appcontext
def status_command() -> None:
    counts = dict(db.session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    for status in ("queued", "retry", "sent", "failed"):
        click.echo(f"{status:>7}: {counts.get(status, 0)}")
