"""`coalition mail deliver|status`: the outbox worker, and what the outbox holds."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.mail import moderation
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


@mail_cli.command("expire-held", help="Discard the held posts nobody decided on before they "
                  "expired (the delivery worker also does this every 10 minutes).")
@with_appcontext
def expire_held_command() -> None:
    expired = moderation.expire_held()
    db.session.commit()
    click.echo(f"{expired} held post(s) expired and were discarded.")


@mail_cli.command("lmtp", help="Run the LMTP server the mail server hands list mail to "
                  "(posts, -request commands, -bounces, -owner); see docs/mail-server.md. "
                  "Runs until Ctrl-C or SIGTERM.")
@click.option("--host", default=None, help="Address to listen on (default COALITION_LMTP_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default COALITION_LMTP_PORT).")
@with_appcontext
def lmtp_command(host: str | None, port: int | None) -> None:
    import threading

    from coalition.mail.lmtp import serve

    app = current_app._get_current_object()
    host = host or app.config["LMTP_HOST"]
    port = port or app.config["LMTP_PORT"]
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda signum, frame: stop.set())
                for signum in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"LMTP server on {host}:{port} for lists @{app.config['MAIL_DOMAIN']}; "
               "Ctrl-C stops.")
    try:
        serve(app, host, port, stop)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@mail_cli.group("inbound", invoke_without_command=True,
                help="The messages the LMTP server received, newest first, with what came "
                     "of each; `retry` handles failed ones again.")
@click.option("--failed", is_flag=True, help="Only the messages whose handling failed.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@with_appcontext
@click.pass_context
def inbound_command(context: click.Context, failed: bool, limit: int) -> None:
    if context.invoked_subcommand is not None:
        return
    from coalition.mail.inbound import outcome_line
    from coalition.mail.models import InboundMessage, InboundStatus

    query = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    if failed:
        query = query.where(InboundMessage.status == InboundStatus.FAILED)
    rows = db.session.scalars(query).all()
    if not rows:
        click.echo("No failed messages." if failed else "No messages received yet.")
    for row in rows:
        click.echo(outcome_line(row))


@inbound_command.command("retry", help="Handle stored messages again: one by its ID, or "
                         "every failed one (and any left unhandled) with --all-failed.")
@click.argument("message_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Every message whose handling failed.")
@with_appcontext
def inbound_retry_command(message_id: int | None, all_failed: bool) -> None:
    from coalition.mail import inbound
    from coalition.mail.models import InboundMessage, InboundStatus

    if (message_id is None) == (not all_failed):
        raise click.UsageError("Give one message ID, or --all-failed.")
    if all_failed:
        ids = sorted([*db.session.scalars(select(InboundMessage.id).where(
            InboundMessage.status == InboundStatus.FAILED)), *inbound.left_over()])
    else:
        found = db.session.get(InboundMessage, message_id)
        if found is None:
            raise click.ClickException(f"No message {message_id}.")
        if found.status == InboundStatus.HANDLED:
            raise click.ClickException(f"Message {message_id} was already handled: "
                                       f"{found.outcome}")
        ids = [message_id]
    db.session.commit()
    failures = 0
    for stored_id in ids:
        result = inbound.process(stored_id)
        if result is None:
            click.echo(f"{stored_id:>6}  handled meanwhile, or in another server's hands")
            continue
        failures += result.status == InboundStatus.FAILED
        click.echo(inbound.outcome_line(result))
    if failures:
        raise click.ClickException(f"{failures} message(s) failed again.")

