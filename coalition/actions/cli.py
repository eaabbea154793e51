"""`coalition actions import|export|digest`: reading a plan from a CSV file or a text
outline, writing a plan as CSV, and e-mailing the focal contacts what changed (for cron).
Each command parses, calls the action plan's code, and commits once."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from coalition import fiscal
from coalition.actions import digest as digests
from coalition.actions import exports, imports
from coalition.actions.models import ActionPlan
from coalition.auth.models import SystemActor
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.urls import external_url


@click.group("actions", help="The action plan: import, export, digest.")
def actions_cli() -> None:
    pass


def _fiscal_year(ctx, param, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return imports.parse_year(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


# --- import ---------------------------------------------------------------------------

def _echo_outline(result: imports.PlanImport) -> None:
    for objective in result.objectives:
        click.echo(f"Objective: {objective.title}" if objective.title else
                   "No objective:")
        for item in objective.items:
            years = result.years_of(item)
            span = fiscal.label(years[0]) if len(years) == 1 else \
                " ".join(fiscal.label(year) for year in years)
            click.echo(f"  - {item.title} [{span}]")


@actions_cli.command("import", help="Create a plan from a CSV file (columns objective, "
                                    "item, years, description) or a text outline "
                                    "(objectives, then indented or bulleted items, the "
                                    "years in brackets such as [FY16-FY18]). Nothing is "
                                    "written if any line is bad. The plan is not published.")
@click.argument("file", type=click.File("rb"))
@click.option("--plan-title", help="The plan's title (default: the file's 'Plan:' line or "
                                   "plan column, else 'Action plan FY16–FY18').")
@click.option("--first", "first_year", callback=_fiscal_year, metavar="FY",
              help="First fiscal year, such as FY16 (default: the earliest in the file).")
@click.option("--last", "last_year", callback=_fiscal_year, metavar="FY",
              help="Last fiscal year (default: the latest in the file).")
@click.option("--dry-run", is_flag=True, help="Check and show the plan; write nothing.")
@with_appcontext
def import_command(file, plan_title: str | None, first_year: int | None,
                   last_year: int | None, dry_run: bool) -> None:
    try:
        result = imports.read_plan(file.read(), getattr(file, "name", ""), title=plan_title,
                                   first_year=first_year, last_year=last_year)
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    if result.ignored_columns:
        click.echo(f"Columns not read: {', '.join(result.ignored_columns)}")
    if result.errors:
        for error in result.errors:
            click.echo(str(error), err=True)
        count = len(result.errors)
        raise click.ClickException(f"{count} error{'' if count == 1 else 's'}, so nothing "
                                   "was imported.")
    _echo_outline(result)
    if dry_run:
        click.echo(f"Dry run: would create {result.summary()}. Nothing was written.")
        return
    try:
        plan = imports.create_plan(SystemActor("command: actions import"), result)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing was imported: {error.message}") from error
    click.echo(f"Created plan {plan.id}: {result.summary()}. It is not published yet: "
               f"{external_url('actions.board', plan=plan.id)}")


# --- export ---------------------------------------------------------------------------

@actions_cli.command("export", help="Write a plan as CSV: one row per item and fiscal "
                                    "year (UTF-8 with a byte order mark, every owner named).")
@click.argument("plan_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@with_appcontext
def export_command(plan_id: int, output: Path | None) -> None:
    plan = db.session.get(ActionPlan, plan_id)
    if plan is None:
        raise click.ClickException(f"There is no action plan {plan_id}.")
    text = exports.export_csv(plan, public=False)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8", newline="")
    click.echo(f"Wrote {len(exports.export_rows(plan, public=False))} rows to {output}.",
               err=True)


# --- digest ---------------------------------------------------------------------------

@actions_cli.command("digest", help="E-mail every active focal contact the status updates "
                                    "since the last digest (run it from cron). With "
                                    "nothing new, nothing is sent or recorded.")
@click.option("--dry-run", is_flag=True, help="Print the digest; send and record nothing.")
@with_appcontext
def digest_command(dry_run: bool) -> None:
    digest = digests.pending()
    if not digest.updates:
        since = digest.since.date().isoformat() if digest.since else None
        click.echo(f"Nothing changed since {since}." if since else
                   "Nothing changed: the action plan has no status updates yet.")
        return
    to = digests.recipients()
    if not to:
        raise click.ClickException("There is no active focal contact to send the digest "
                                   "to; nothing was sent.")
    addresses = ", ".join(user.email for user in to)
    if dry_run:
        click.echo(f"Would e-mail {len(to)} focal contact(s): {addresses}")
        click.echo(f"Subject: {digest.subject}")
        for plan in digest.plans:
            click.echo(f"\n{plan.plan.title}")
            for changes in plan.items:
                click.echo(f"  {changes.item.title}")
                for line in changes.lines:
                    click.echo(f"    - {line}")
        click.echo("\nDry run: nothing was sent or recorded.")
        return
    digests.queue_digest(digest, to)
    db.session.commit()
    click.echo(f"Sent the digest of {len(digest.updates)} change(s) to {addresses}.")
