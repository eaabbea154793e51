"""Times the member import at 100,000 rows: reading and checking the CSV into a preview, then
the bulk write; then the same file again (every row unchanged) and an update of every row.

Run by hand: `.venv/bin/python bench/bench_import.py [--rows N] [--database-url URL]`.
Without a URL it uses a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from coalition import create_app
from coalition.auth.models import SystemActor
from coalition.db import configure_engine
from coalition.extensions import db
from coalition.members import imports
from coalition.members.models import Member, Organization
from coalition.models import metadata

GROUPS = ["government", "civil_society", "private_sector", "technical_community", "academia",
          "intergovernmental"]
COUNTRIES = ["KE", "BR", "FR", "JP", "PL", "US", "IN", "ZA", "MX", "DE", "Nigeria", "Chile"]


def make_csv(rows: int, title: str = "Officer") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in imports.COLUMNS])
    for n in range(rows):
        writer.writerow([f"Bench Person {n}", f"bench.person{n}@example.org", title,
                         f"Organization {n % 500}", GROUPS[n % 6], COUNTRIES[n % 12],
                         "active", "", "", "yes" if n % 2 else "no", "yes", "no", "yes", "yes"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def timed(label: str, function):
    """Run `function`, print its wall-clock time and this process's CPU time (which other
    work on a busy machine does not inflate as much)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    print(f"  {label:<34} {time.perf_counter() - start:7.2f} s"
          f"  (CPU {time.process_time() - cpu:6.2f} s)")
    return result


def run(rows: int, database_url: str, instance: Path) -> None:
    engine = sa.create_engine(database_url)
    configure_engine(engine)
    metadata.create_all(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "bench-secret-key-0123456789", "LOG_LEVEL": "WARNING"})
    actor = SystemActor("command: bench")
    with app.app_context():
        print(f"{rows:,} rows on {db.engine.dialect.name}")
        data = timed("generate the CSV", lambda: make_csv(rows))
        print(f"  ({len(data) / 1e6:.1f} MB)")
        for label, body in (("first import (all new)", data),
                            ("same file again (all unchanged)", data),
                            ("every row changed (all updates)", make_csv(rows, "Director"))):
            print(label)
            preview = timed("parse, check and preview", lambda b=body: imports.preview_import(
                actor, b))
            print(f"  {preview.summary()}")

            def write(p=preview):
                imports.apply_import(actor, p)
                db.session.commit()

            timed("write (bulk, one transaction)", write)
        members = db.session.scalar(sa.select(sa.func.count()).select_from(Member))
        organizations = db.session.scalar(sa.select(sa.func.count()).select_from(Organization))
        print(f"{members:,} members, {organizations:,} organizations in the database")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        run(arguments.rows, url, Path(folder) / "instance")


if __name__ == "__main__":
    main()
