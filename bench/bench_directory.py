"""Benchmark: the member directory at 1,000 and at 100,000 members.

Run by hand or with `make bench`:  .venv/bin/python bench/bench_directory.py [--pg URL]

Fills a fresh database (SQLite in a temporary folder, or the PostgreSQL server given with
--pg, in a throwaway database) with N members, then times the directory page as a focal
contact and as the public, through the whole Flask stack (routing, query, template), and
prints the median of repeated requests and the ratio 100,000 : 1,000 for each view.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coalition import create_app
from coalition.auth.models import SystemActor
from coalition.auth.services import create_user
from coalition.extensions import db
from coalition.members.countries import all_countries
from coalition.members.models import Member
from coalition.migrate import upgrade

GROUPS = ["government", "civil_society", "private_sector", "technical_community", "academia",
          "intergovernmental"]
VIEWS = {
    "focal: first page": ("/members/", True),
    "focal: filtered (group + region)": (
        "/members/?stakeholder_group=academia&region=african", True),
    "focal: page 10": ("/members/?page=10", True),
    "focal: search 'mensah'": ("/members/?q=mensah", True),
    "public: first page": ("/members/", False),
}
REPEAT = 15


def fill(count: int) -> None:
    rng = random.Random(count)
    codes = list(all_countries().values())
    rows = []
    for n in range(count):
        country = rng.choice(codes)
        name = f"{rng.choice(['Ana', 'Kofi', 'Mei', 'Ravi', 'Olga'])} {rng.choice(['Mensah', 'Silva', 'Novak', 'Tanaka', 'Diallo'])} {n}"  # noqa: E501
        rows.append({
            "name": name, "sort_name": name.lower(), "email": f"m{n}@example.org",
            "stakeholder_group": rng.choice(GROUPS), "country": country.code,
            "region": country.region.value, "region_overridden": False, "status": "active",
            "listed_publicly": rng.random() < 0.5, "show_name": True,
            "show_organization": True, "show_stakeholder_group": True, "show_country": True,
        })
    for start in range(0, count, 5000):
        db.session.execute(sa.insert(Member), rows[start:start + 5000])
    db.session.commit()
    # As autovacuum would soon after a bulk load: the planner needs the table's statistics.
    db.session.execute(sa.text("ANALYZE members"))
    db.session.commit()


def measure(app, count: int) -> dict[str, float]:
    with app.app_context():
        fill(count)
    focal, public = app.test_client(), app.test_client()
    focal.get("/login")
    with focal.session_transaction() as session:
        token = session.get("csrf_token")
    from itsdangerous import URLSafeTimedSerializer

    signed = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(token)
    response = focal.post("/login", data={"email": "bench@example.org",
                                          "password": "bench password 1", "csrf_token": signed})
    assert response.status_code == 302, "could not sign in"
    results = {}
    for label, (url, as_focal) in VIEWS.items():
        client = focal if as_focal else public
        assert client.get(url).status_code == 200
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            client.get(url).get_data()
            times.append(time.perf_counter() - start)
        results[label] = statistics.median(times)
    return results


def make_app(url: str, instance: Path):
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "bench-secret-key-0123456789",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        create_user(SystemActor("bench"), email="bench@example.org", name="Bench",
                    role="focal_contact", password="bench password 1")  # noqa: S106
        db.session.commit()
    return app


def run(counts: list[int], pg: str | None) -> None:
    figures = {}
    for count in counts:
        with tempfile.TemporaryDirectory() as folder:
            if pg:
                admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
                name = f"coalition_bench_{count}"
                with admin.connect() as c:
                    c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    c.exec_driver_sql(f'CREATE DATABASE "{name}"')
                url = sa.engine.make_url(pg).set(database=name).render_as_string(
                    hide_password=False)
            else:
                url = f"sqlite:///{folder}/bench.db"
            app = make_app(url, Path(folder))
            started = time.perf_counter()
            figures[count] = measure(app, count)
            print(f"{count:>7,} members filled and measured in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            with app.app_context():
                db.engine.dispose()
            if pg:
                with admin.connect() as c:
                    c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    small, large = counts[0], counts[-1]
    print(f"\nDirectory page, median of {REPEAT} requests ({'PostgreSQL' if pg else 'SQLite'})")
    print(f"{'view':38} {small:>9,} {large:>9,}   ratio")
    for label in VIEWS:
        a, b = figures[small][label], figures[large][label]
        print(f"{label:38} {a * 1000:7.1f}ms {b * 1000:7.1f}ms  {b / a:5.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL (a throwaway database is used)")
    parser.add_argument("--large", type=int, default=100_000)
    arguments = parser.parse_args()
    run([1_000, arguments.large], arguments.pg)
