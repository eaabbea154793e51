"""Exporting the filtered member directory as a CSV file that spreadsheets open safely and
that the import reads back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from coalition.extensions import db
from coalition.members.imports import COLUMNS, FLAGS, FORMULA_START
from coalition.members.models import Member, Organization
from coalition.members.queries import DirectoryFilter, directory_query

HEADERS = [column.header for column in COLUMNS] + ["Region"]
BATCH = 1_000  # rows fetched from the database, and written out, at a time


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote, which makes it
    text (the import removes that quote again)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(filters: DirectoryFilter) -> Iterator[list[str]]:
    """The directory's members in its order, one list of cells per member, read from the
    database a batch at a time (never the whole result at once)."""
    query = (directory_query(filters)
             .outerjoin(Organization, Member.organization_id == Organization.id)
             .with_only_columns(Member.name, Member.email, Member.title,
                                Organization.name.label("organization_label"),
                                Member.organization_name, Member.stakeholder_group,
                                Member.country, Member.status, Member.gender,
                                Member.gender_description,
                                *(getattr(Member, flag) for flag in FLAGS), Member.region)
             .execution_options(yield_per=BATCH))
    for row in db.session.execute(query):
        yield [row.name, row.email or "", row.title or "",
               row.organization_label or row.organization_name or "", row.stakeholder_group,
               row.country or "", row.status, row.gender or "", row.gender_description or "",
               *(_yes_no(getattr(row, flag)) for flag in FLAGS), row.region]


def export_csv(filters: DirectoryFilter) -> Iterator[str]:
    """The CSV text in pieces: a byte-order mark (so Excel reads UTF-8), the header row, then
    the members, BATCH rows per piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, cells in enumerate(export_rows(filters), start=1):
        writer.writerow([neutralise(cell) for cell in cells])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
