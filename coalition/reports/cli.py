"""`coalition reports add|import|reindex`: moving an existing archive in, and rebuilding
the search text, from the command line. Each command parses its input, calls the report
services, and commits once; bad input is reported and writes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coalition.auth.models import SystemActor
from coalition.db import today
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.reports import imports, queries, services
from coalition.reports.models import Report, Visibility
from coalition.reports.services import FileInput, ReportInput
from coalition.urls import external_url

VISIBILITIES = click.Choice([v.value for v in Visibility])
AS_VISIBILITY = {"draft": "as drafts", "members": "for members only", "public": "public"}
# The service's field names as `reports add` spells them, for its error messages.
OPTIONS = {"title": "--title", "type": "--type", "published_on": "--date",
           "fiscal_year": "--fiscal-year", "authors": "--author", "summary": "--summary",
           "language": "--language", "tags": "--tag", "external_url": "--url",
           "slug": "--slug", "label": "--label", "visibility": "--visibility", "file": "FILE"}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _fy_start_month() -> int:
    return current_app.config["FY_START_MONTH"]


@click.group("reports", help="The report archive: add, import, reindex.")
def reports_cli() -> None:
    pass


# --- reports add ----------------------------------------------------------------------

@reports_cli.command("add", help="Add one report with its files (PDF), or with only --url.")
@click.argument("files", metavar="[FILE]...", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True)
@click.option("--type", "report_type", required=True,
              help="annual_report, session_report, policy_paper, position_paper, guidelines, "
                   "submission or other (or the name, such as 'Annual report').")
@click.option("--date", "published_on", type=click.DateTime(["%Y-%m-%d"]),
              help="Publication date, YYYY-MM-DD.  [default: today]")
@click.option("--fiscal-year", help="FY16 (default: the publication date's fiscal year).")
@click.option("--author", "authors", multiple=True, help="A person or organization; repeat "
                                                         "for each, in citation order.")
@click.option("--summary")
@click.option("--language", default="en", show_default=True, help="Code (fr) or name.")
@click.option("--tag", "tags", multiple=True, help="Repeat for each tag.")
@click.option("--url", help="A link to the report elsewhere (https://...).")
@click.option("--slug", help="The address /reports/SLUG (default: made from the title).")
@click.option("--label", help="What the files are, shown on the report page (Full report).")
@click.option("--visibility", type=VISIBILITIES, default=Visibility.DRAFT.value,
              show_default=True)
@with_appcontext
def add_command(files: tuple[Path, ...], title: str, report_type: str, published_on,
                fiscal_year: str | None, authors: tuple[str, ...], summary: str | None,
                language: str, tags: tuple[str, ...], url: str | None, slug: str | None,
                label: str | None, visibility: str) -> None:
    if not files and not url:
        raise click.UsageError("Give at least one FILE, or --url for a report kept elsewhere.")
    actor = SystemActor("command: reports add")
    try:
        data = ReportInput(
            title=title, type=imports.parse_type(report_type),
            published_on=published_on.date() if published_on else today(),
            fiscal_year=fiscal_year, authors="\n".join(authors), summary=summary,
            language=imports.parse_language(language),
            tags=[part for tag in tags for part in services.split_tags(tag)],
            external_url=url, slug=slug)
        inputs = [FileInput(path.read_bytes(), path.name, label) for path in files]
        report = services.create_report(actor, data, inputs, visibility=visibility,
                                        fy_start_month=_fy_start_month())
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        where = f"{OPTIONS.get(error.field, error.field)}: " if error.field else ""
        after = "" if "Nothing was" in error.message else " Nothing was added."
        raise click.ClickException(f"{where}{error.message}{after}") from error
    click.echo(f"Added {report.slug} ({Visibility(report.visibility).label}): "
               f"{external_url('reports.detail', slug=report.slug)}")
    for row in report.current_files:
        pages = _count(row.page_count, "page") if row.page_count is not None else "not a PDF"
        text = "text read for search" if row.text else "no text found (a scan?)"
        click.echo(f"  {row.filename}: {row.size} bytes, {pages}, {text}")


# --- reports import -------------------------------------------------------------------

@reports_cli.command("import", help="Import reports from a CSV file: columns title, type, "
                                    "date (YYYY-MM-DD), and url or file (a path, relative to "
                                    "the CSV's folder); optional fiscal_year, authors "
                                    "(separated by ;), summary, language, tags, slug, "
                                    "label. Reports already in the archive are skipped.")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False,
                                                           path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--visibility", type=VISIBILITIES, default=Visibility.DRAFT.value,
              show_default=True, help="Of the new reports. Draft by default, so nothing is "
                                      "shown until a focal contact has looked at it.")
@click.option("--valid-rows", is_flag=True, help="Import the good rows even if others have "
                                                 "errors (by default: all or nothing).")
@with_appcontext
def import_command(csv_file: Path, dry_run: bool, visibility: str, valid_rows: bool) -> None:
    try:
        columns, ignored, records = imports.read_csv(csv_file.read_bytes())
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    if ignored:
        click.echo(f"Columns not read: {', '.join(ignored)}")
    known = imports.ArchiveIndex()
    folder = csv_file.resolve().parent
    with click.progressbar(records, label="Checking", file=sys.stderr) as bar:
        rows = [row for number, cells in bar if (row := imports.check_row(
            number, cells, columns, folder, known, _fy_start_month())) is not None]
    new = [row for row in rows if row.is_new]
    skipped = [row for row in rows if row.skipped]
    bad = [row for row in rows if row.errors]
    for row in rows:
        if row.errors:
            click.echo(f"Row {row.number}: {' '.join(row.errors)}")
        elif row.skipped:
            click.echo(f"Row {row.number}: skipped, {row.skipped}.")
    click.echo(f"{_count(len(rows), 'row')}: {len(new)} to create, {len(skipped)} skipped, "
               f"{len(bad)} with errors.")
    if bad and not valid_rows:
        raise click.ClickException(f"{_count(len(bad), 'row')} with errors, so nothing was "
                                   "imported (all or nothing). Correct them, or use "
                                   "--valid-rows to import the other rows.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    try:
        with click.progressbar(length=len(new), label="Importing", file=sys.stderr) as bar:
            imports.write(SystemActor("command: reports import"), new, visibility,
                          _fy_start_month(), progress=bar.update)
        db.session.commit()
    except (ValidationError, IntegrityError) as error:
        db.session.rollback()
        reason = getattr(error, "message", None) or str(error).splitlines()[0]
        raise click.ClickException(f"Nothing was imported: {reason}") from error
    click.echo(f"Imported: {len(new)} created {AS_VISIBILITY[visibility]}, "
               f"{len(skipped)} skipped, {len(bad)} with errors not imported.")


# --- reports reindex ------------------------------------------------------------------

@reports_cli.command("reindex", help="Read the text of the stored PDFs again and rebuild "
                                     "the search text (after a pypdf upgrade, or a restore).")
@click.option("--slug", help="Only this report.")
@with_appcontext
def reindex_command(slug: str | None) -> None:
    report_ids = None
    if slug:
        report = queries.by_slug(slug)
        if report is None:
            raise click.ClickException(f"No report has the address {slug!r}.")
        report_ids = [report.id]
    total = 1 if slug else db.session.scalar(select(func.count()).select_from(Report))
    with click.progressbar(length=total, label="Reading files", file=sys.stderr) as bar:
        count, problems = services.reindex(SystemActor("command: reports reindex"),
                                           report_ids, progress=bar.update)
    db.session.commit()
    click.echo(f"Reindexed {_count(count, 'report')}.")
    for problem in problems:
        click.echo(f"Problem: {problem}")
    if problems:
        raise click.ClickException(f"{_count(len(problems), 'file')} could not be read and "
                                   "kept the text read before; restore from a backup and run "
                                   "this again.")
