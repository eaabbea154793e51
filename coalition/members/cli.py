"""`coalition members import|export`: the import's preview and write, and the directory's
export, from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from coalition.auth.models import SystemActor
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import countries, exports, imports
from coalition.members.models import MemberStatus, Region, StakeholderGroup
from coalition.members.queries import DirectoryFilter


@click.group("members", help="Members: import and export.")
def members_cli() -> None:
    pass


def echo_preview(preview: imports.ImportPreview) -> None:
    """The preview page's summary and every error row, as text."""
    for note in preview.notes:
        click.echo(f"Note: {note}")
    if preview.ignored:
        click.echo(f"Columns not read: {', '.join(preview.ignored)}")
    click.echo(f"{len(preview.rows)} rows: {preview.summary()}.")
    if preview.new_organizations:
        click.echo(f"New organizations: {', '.join(preview.new_organizations)}")
    for row in preview.rows_to(imports.ERROR):
        click.echo(f"Row {row.number}: {' '.join(row.errors)}")


@members_cli.command("import", help="Import members from a CSV file (see the template on "
                                    "the import page). Existing members are matched by "
                                    "e-mail.")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option("--mode", type=click.Choice(imports.MODES), default=imports.VALID_ROWS,
              show_default=True,
              help="valid_rows skips the rows with errors; all_or_nothing writes nothing if "
                   "any row has one.")
@with_appcontext
def import_command(file, dry_run: bool, mode: str) -> None:
    actor = SystemActor("command: members import")
    try:
        preview = imports.preview_import(actor, file.read())
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    echo_preview(preview)
    errors = preview.count(imports.ERROR)
    if errors and mode == imports.ALL_OR_NOTHING:
        raise click.ClickException(f"{errors} rows have errors, so nothing was imported "
                                   "(all or nothing).")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    writes = preview.count(imports.CREATE) + preview.count(imports.UPDATE)
    try:
        with click.progressbar(length=writes, label="Writing") as bar:
            result = imports.apply_import(actor, preview, mode, progress=bar.update,
                                          source=file.name)
        db.session.commit()
    except (ValidationError, IntegrityError) as error:
        db.session.rollback()
        message = getattr(error, "message", "another change to the same members came first")
        raise click.ClickException(f"Nothing was imported: {message}") from error
    click.echo(f"Imported: {result.summary()}.")


def _choices(vocabulary) -> click.Choice:
    return click.Choice([value.value for value in vocabulary])


@members_cli.command("export", help="Export the member directory as CSV (UTF-8 with a byte "
                                    "order mark, the import's columns).")
@click.option("--status", type=click.Choice([*(s.value for s in MemberStatus), "all"]),
              default=MemberStatus.ACTIVE.value, show_default=True)
@click.option("--stakeholder-group", type=_choices(StakeholderGroup))
@click.option("--region", type=_choices(Region))
@click.option("--country", help="ISO code or name.")
@click.option("-q", "--search", default="", help="Name, e-mail or organization contains.")
@click.option("-o", "--output", type=click.File("wb"), default="-",
              help="File to write (default: standard output).")
@with_appcontext
def export_command(status: str, stakeholder_group: str | None, region: str | None,
                   country: str | None, search: str, output) -> None:
    found = countries.find(country) if country else None
    if country and found is None:
        raise click.BadParameter(f"{country!r} is not a country we know.", param_hint="--country")
    filters = DirectoryFilter(q=search, stakeholder_group=stakeholder_group or "",
                              region=region or "", country=found.code if found else "",
                              status="" if status == "all" else status)
    for piece in exports.export_csv(filters):
        output.write(piece.encode("utf-8"))
