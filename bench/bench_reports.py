"""Benchmark: the report archive's listing and search at 10,000 reports, under gunicorn.

Run by hand or with `make bench`:

    .venv/bin/python bench/bench_reports.py [--reports N] [--requests N] [--budget SECONDS]
        [--threads N] [--workers N] [--pg URL | --database-url URL]

Fills a fresh database (SQLite in a temporary folder; or, with --pg, a throwaway database
on that PostgreSQL server; or the empty database --database-url names, which is left
filled) with N reports: titles, types, publication dates over 2010-2026, languages, one to
four tags out of forty, summaries, and 2-5 KB of body text each, as if read out of their
PDFs (one file row each; no files on disk). The rows are written in bulk, but the search
index is the app's own: SQLite's FTS5 triggers fire on each INSERT, PostgreSQL's GIN
expression index covers search_text.

Then serves the app with gunicorn (a real subprocess on a free local port, its instance
folder in the temporary folder, a 600 s request timeout so that a slow page is measured
rather than killed), warms it up, and for each page times --requests sequential requests
(fewer, but at least 3, once they have taken --budget seconds): the median, the 95th
percentile and the ratio to /healthz, which does not touch the database (the framework's
floor); then as many again from --threads client threads at once (requests per second).
Every page's answer is checked first (status 200, the total it states, the report links
it shows), so a broken page is never timed as a fast one. gunicorn and the temporary
database are removed at the end, also after an error, Ctrl-C or a SIGTERM.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRET_KEY, add_database_options, database, free_port
from coalition import PROJECT_ROOT, create_app, fiscal
from coalition.extensions import db
from coalition.migrate import upgrade
from coalition.reports.models import Report, ReportFile, ReportTag
from coalition.reports.queries import PAGE_SIZE
from coalition.reports.services import MAX_SEARCH_TEXT, slugify

TIMEOUT = 600  # gunicorn's per-request limit: long, so a slow page is measured, not killed
FIRST_DAY, LAST_DAY = date(2010, 1, 1), min(datetime.now(UTC).date(), date(2026, 12, 31))
TYPES = {"annual_report": 8, "session_report": 30, "policy_paper": 15, "position_paper": 10,
         "guidelines": 8, "submission": 17, "other": 12}
LANGUAGES = {"en": 70, "fr": 9, "es": 8, "ar": 4, "zh": 2, "ru": 2, "pt": 2, "sw": 1,
             "mul": 2}
VISIBILITIES = {"public": 85, "members": 10, "draft": 5}
TAGS = ["access", "accessibility", "ai", "capacity-building", "child-online-protection", "cloud",
        "connectivity", "content-moderation", "cybercrime", "cybersecurity", "data-governance",
        "data-protection", "digital-economy", "digital-identity", "digital-public-goods",
        "disinformation", "dns", "e-government", "education", "elections", "encryption",
        "environment", "gender", "health", "human-rights", "infrastructure", "interoperability",
        "ipv6", "jurisdiction", "labour", "languages", "multistakeholder", "net-neutrality",
        "open-data", "platforms", "privacy", "spectrum", "standards", "taxation", "youth"]
TOPICS = ["Digital inclusion", "Cybersecurity capacity", "Community networks",
          "Internet governance", "Data protection", "Artificial intelligence",
          "Platform accountability", "Online safety for children", "Meaningful connectivity",
          "Open standards", "Digital public infrastructure", "Cross-border data flows",
          "Gender and technology", "Local content", "Internet shutdowns", "Universal access",
          "Digital trade", "E-waste and the environment", "Misinformation", "Multilingual internet",
          "Digital skills", "Spectrum policy", "Cloud adoption", "Privacy by design",
          "Youth participation", "Accessibility for all"]
PLACES = ["in East Africa", "in West Africa", "in Latin America", "in the Caribbean",
          "in South Asia", "in the Pacific Islands", "in Central Asia", "in the Arab region",
          "in Southeast Asia", "in Europe", "in small island states", "in rural areas", "worldwide",
          "in least developed countries"]
EVENTS = ["annual meeting", "regional forum", "open consultation", "workshop", "policy network",
          "dynamic coalition", "best-practice forum", "town hall"]
AUTHORS = ["Secretariat", "Policy working group", "Youth caucus", "Technical community forum",
           "Civil society coordination group", "A. Mensah", "L. Silva", "M. Tanaka", "R. Iyer",
           "O. Novak", "F. Diallo", "S. Haddad", "C. Moreau", "J. Okafor"]
# Body text: a policy vocabulary drawn with Zipf-like weights (a few words everywhere, the
# rest rarer). RARE_WORD is put into about 1% of reports and nothing else starts with it.
VOCABULARY = (
    "the of and to in a for is on that with as by are be this from or which at an it governance "
    "internet policy digital data access countries public stakeholders government network users "
    "development security services online private sector infrastructure community national "
    "regional global international local rights participation framework capacity technical "
    "standards information technology mobile broadband connectivity providers operators "
    "regulation regulators cooperation innovation research education health economy economic "
    "social inclusion gender women youth children protection privacy freedom expression content "
    "platforms responsibility accountability transparency trust cybercrime cybersecurity incident "
    "response resilience spectrum satellite fibre cables exchange points routing addresses names "
    "domain registry registrar language languages multilingual accessibility disabilities rural "
    "urban affordable cost prices investment funding donors partnership partners civil society "
    "academia business industry consultation workshop session panel speakers recommendations "
    "findings report survey respondents evidence indicators measurement progress challenges "
    "barriers gaps opportunities risks benefits impact outcomes strategy implementation review "
    "monitoring evaluation agreement principles values norms openness interoperability neutrality "
    "competition market markets small medium enterprises entrepreneurs skills training literacy "
    "schools universities libraries open source software hardware cloud computing artificial "
    "intelligence algorithms automated decisions human oversight identity identification "
    "authentication encryption surveillance lawful interception courts jurisdiction trade "
    "taxation customs payments financial environment energy climate emissions waste devices "
    "repair elections disinformation journalism media misinformation hate speech moderation "
    "appeals remedies complaints shutdowns disruptions emergency disaster early warning "
    "agriculture farmers supply chains logistics tourism culture heritage archives preservation "
    "migration refugees diaspora remittances municipal city cities villages island islands "
    "coastal ministry parliament legislation draft bill article clause annex chapter section "
    "table figure percent million billion year years quarter month meeting meetings coalition "
    "members secretariat steering committee chair rapporteur moderator"
)
WORDS = VOCABULARY.split()
RARE_WORD = "mangrove"
COMMON_WORD = "governance"
FACET = ("annual_report", 2016)
LINK = re.compile(r'/reports/([a-z0-9-]+)"')


@dataclass
class Built:
    """What the benchmark filled in, to check the pages against."""

    listed: list[dict]  # public and not archived, newest first
    matches: dict[str, list[str]]  # search word -> slugs of listed reports containing it


def weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def body_text(rng: random.Random, weights: list[float], rare: bool) -> str:
    """Two to five KB of sentences, the text a PDF of a few pages would give."""
    words = rng.choices(WORDS, cum_weights=weights, k=rng.randint(2000, 5000) // 7)
    if rare:
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words)), rng.choice([RARE_WORD, RARE_WORD + "s"]))
    sentences, start = [], 0
    while start < len(words):
        end = start + rng.randint(8, 22)
        sentence = " ".join(words[start:end])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        start = end
    return "\n\n".join(" ".join(sentences[i:i + 6]) for i in range(0, len(sentences), 6))


def title_of(rng: random.Random, kind: str, day: date) -> str:
    topic, place = rng.choice(TOPICS), rng.choice(PLACES)
    return {
        "annual_report": f"Annual report {day.year}: {topic.lower()} {place}",
        "session_report": f"{topic} {place}: {rng.choice(EVENTS)} {day.year} session report",
        "guidelines": f"Guidelines on {topic.lower()} {place}",
        "submission": f"Submission to the {rng.choice(EVENTS)} on {topic.lower()}",
    }.get(kind, f"{topic} {place}")


def generate(count: int) -> tuple[list[dict], list[dict], list[dict], list[str]]:
    """Rows for reports, report_tags and report_files, and each report's body text."""
    rng = random.Random(count)
    cum, total = [], 0.0
    for rank in range(len(WORDS)):
        total += 1 / (rank + 1)
        cum.append(total)
    days = (LAST_DAY - FIRST_DAY).days
    now = datetime.now(UTC)
    reports, tags, files, bodies, slugs = [], [], [], [], set()
    for n in range(1, count + 1):
        kind = weighted(rng, TYPES)
        day = FIRST_DAY + timedelta(days=rng.randint(0, days))
        title = title_of(rng, kind, day)
        slug = base = slugify(title)
        number = 2
        while slug in slugs:
            slug, number = f"{base}-{number}", number + 1
        slugs.add(slug)
        visibility = weighted(rng, VISIBILITIES)
        archived = visibility != "draft" and rng.random() < 0.03
        report_tags = sorted(rng.sample(TAGS, rng.randint(1, 4)))
        authors = "\n".join(rng.sample(AUTHORS, rng.randint(1, 3)))
        summary = body_text(rng, cum, False)[:rng.randint(200, 600)].rsplit(" ", 1)[0] + "."
        body = body_text(rng, cum, rng.random() < 0.01)
        fiscal_year = fiscal.label_of(day)
        published_at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        search_text = "\n".join([title, authors, summary, " ".join(report_tags),
                                 fiscal_year, slug, body])[:MAX_SEARCH_TEXT]
        reports.append({
            "id": n, "slug": slug, "title": title, "type": kind, "published_on": day,
            "fiscal_year": fiscal_year, "authors": authors, "summary": summary,
            "language": weighted(rng, LANGUAGES), "external_url": None,
            "visibility": visibility,
            "first_published_at": None if visibility == "draft" else published_at,
            "download_count": rng.randint(0, 500), "is_archived": archived,
            "archived_at": now if archived else None, "search_text": search_text,
            "created_at": published_at, "updated_at": published_at,
        })
        tags.extend({"report_id": n, "tag": tag} for tag in report_tags)
        files.append({
            "id": n, "report_id": n, "label": "Full report", "filename": f"{slug[:190]}.pdf",
            "content_type": "application/pdf", "size": len(body) * 40,
            "sha256": hashlib.sha256(slug.encode()).hexdigest(),
            "page_count": max(1, len(body) // 1500), "text": body, "download_count": 0,
            "uploaded_at": published_at, "uploaded_by": "bench", "replaced_at": None,
            "replaced_by_id": None,
        })
        bodies.append(search_text)
    return reports, tags, files, bodies


def contains(text: str, word: str) -> bool:
    """Whether a search for `word` should find `text`: some word of it starts with it."""
    return any(token.startswith(word) for token in re.findall(r"[^\W_]+", text.lower()))


def fill(count: int) -> Built:
    started = time.perf_counter()
    reports, tags, files, texts = generate(count)
    generated = time.perf_counter()
    for table, rows in ((Report, reports), (ReportTag, tags), (ReportFile, files)):
        for start in range(0, len(rows), 1000):
            db.session.execute(sa.insert(table), rows[start:start + 1000])
    db.session.commit()
    dialect = db.engine.dialect.name
    if dialect == "postgresql":  # ids were given: move the sequences past them
        for table in ("reports", "report_files"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"))
    # As autovacuum would soon after a bulk load: the planner needs the tables' statistics.
    for table in ("reports", "report_tags", "report_files"):
        db.session.execute(sa.text(f"ANALYZE {table}"))
    db.session.commit()
    print(f"{count:,} reports generated in {generated - started:.1f} s, written and indexed "
          f"in {time.perf_counter() - generated:.1f} s "
          f"({sum(map(len, texts)) / 1e6:.0f} MB of search text)", flush=True)
    listed = sorted((r for r in reports if r["visibility"] == "public"
                     and not r["is_archived"]),
                    key=lambda r: (r["published_on"], r["id"]), reverse=True)
    matches = {}
    for word in (RARE_WORD, COMMON_WORD):
        found = {r["id"] for r, text in zip(reports, texts, strict=True)
                 if contains(text, word)}
        matches[word] = [r["slug"] for r in listed if r["id"] in found]
        if dialect == "sqlite":  # the triggers filled the index: it finds them all
            indexed = db.session.scalar(sa.text(
                "SELECT count(*) FROM reports_fts WHERE reports_fts MATCH :w"), {"w": word + "*"})
            assert indexed == len(found), f"FTS index finds {indexed} of {len(found)} {word!r}"
    return Built(listed=listed, matches=matches)


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


class Server:
    """gunicorn serving the app on a free port, in a session of its own (so Ctrl-C reaches
    only this script, which then stops it)."""

    def __init__(self, database_url: str, folder: Path, workers: int):
        self.port = free_port()
        self.log = folder / "gunicorn.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_")}
        environ.update(COALITION_DATABASE_URL=database_url, COALITION_SECRET_KEY=SECRET_KEY,
                       COALITION_LOG_LEVEL="WARNING")
        factory = f"coalition:create_app({{'INSTANCE_PATH': {str(folder / 'instance')!r}}})"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                 "--timeout", str(TIMEOUT), "--log-level", "warning", factory],
                cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within a minute")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def pages(built: Built) -> list[tuple[str, str, object]]:
    """(label, path, expectation): the expected report links (a list: exactly these, in
    this order; a set: links only among these) and the total the page should state."""
    listed = [r["slug"] for r in built.listed]
    last = max(1, math.ceil(len(listed) / PAGE_SIZE))
    page = min(50, last)
    kind, year = FACET
    facet = [r["slug"] for r in built.listed
             if r["type"] == kind and r["published_on"].year == year]
    rare, common = built.matches[RARE_WORD], built.matches[COMMON_WORD]
    share = f"{len(rare) / max(1, len(listed)):.1%}"
    return [
        ("/healthz (no database)", "/healthz", None),
        ("listing, first page + facets", "/reports/", (listed[:PAGE_SIZE], len(listed))),
        (f"search, rare word ({share})", f"/reports/?q={RARE_WORD}",
         (set(rare), len(rare))),
        (f"search, common word ({len(common) / max(1, len(listed)):.0%})",
         f"/reports/?q={COMMON_WORD}", (set(common), len(common))),
        (f"facets type + year ({len(facet)})", f"/reports/?type={kind}&year={year}",
         (facet[:PAGE_SIZE], len(facet))),
        (f"listing, page {page}", f"/reports/?page={page}",
         (listed[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], len(listed))),
    ]


def check(port: int, path: str, expectation) -> None:
    status, body = get(port, path)
    assert status == 200, f"{path} answered {status}"
    if expectation is None:
        assert body.strip() == "ok", f"{path}: {body[:200]!r}"
        return
    slugs, total = expectation
    linked = list(dict.fromkeys(LINK.findall(body)))
    if isinstance(slugs, list):
        assert linked == slugs, f"{path}: links {linked[:5]}..., expected {slugs[:5]}..."
    else:
        assert set(linked) <= slugs and len(linked) == min(PAGE_SIZE, len(slugs)), \
            f"{path}: {len(linked)} links, {len(set(linked) - slugs)} not matching"
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    assert f"{total:,} report" in text, f"{path}: does not say {total:,} report(s)"


def time_page(port: int, path: str, requests: int, threads: int,
              budget: float) -> dict[str, float]:
    """Up to `requests` sequential requests (fewer, but at least 3, when they outrun
    `budget` seconds), each of which must succeed; then as many again from `threads`
    clients at once, counting the answers other than 200 (concurrency can cause them)."""
    for _ in range(2):  # warm up: both workers, caches, the database's pages
        get(port, path)
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < requests and (len(times) < 3 or time.perf_counter() < deadline):
        start = time.perf_counter()
        status, _body = get(port, path)
        times.append(time.perf_counter() - start)
        assert status == 200, f"{path} answered {status}"
    remaining, lock, statuses = [len(times)], threading.Lock(), []

    def client() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                statuses.append(get(port, path)[0])
            except OSError:  # refused, reset or timed out: a failure too
                statuses.append(0)

    clients = [threading.Thread(target=client) for _ in range(threads)]
    start = time.perf_counter()
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    wall = time.perf_counter() - start
    ordered = sorted(times)
    failed = len(times) - statuses.count(200)  # reported in the table, not hidden
    return {"n": len(times), "median": statistics.median(times),
            "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)],
            "rate": (len(times) - failed) / wall, "failed": failed}


def run(count: int, requests: int, threads: int, workers: int, budget: float, url: str,
        folder: Path) -> None:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade()
        built = fill(count)
        db.session.remove()
        db.engine.dispose()
    load = os.getloadavg()[0]
    server = Server(url, folder, workers)
    try:
        server.wait_ready()
        plan = pages(built)
        for _label, path, expectation in plan:
            check(server.port, path, expectation)
        results = {label: time_page(server.port, path, requests, threads, budget)
                   for label, path, _ in plan}
    except AssertionError:
        print("gunicorn's log:\n" + server.log.read_text(errors="replace")[-3000:])
        raise
    finally:
        server.stop()
    floor = results[plan[0][0]]
    print(f"\nReport archive: {count:,} reports ({len(built.listed):,} listed publicly), "
          f"{'PostgreSQL' if dialect == 'postgresql' else 'SQLite'}, gunicorn {workers} "
          f"workers, anonymous visitor; {os.cpu_count()} CPUs, load average {load:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after")
    print(f"n sequential requests per page (up to {requests}, fewer past {budget:.0f} s), "
          f"then n from {threads} client threads at once")
    print(f"{'page':34} {'n':>4} {'median':>9} {'p95':>9} {'x healthz':>9} {'req/s':>7} "
          f"{'x healthz':>9} {'failed':>6}")
    for label, _path, _ in plan:
        r = results[label]
        print(f"{label:34} {r['n']:4} {r['median'] * 1000:7.1f}ms {r['p95'] * 1000:7.1f}ms "
              f"{r['median'] / floor['median']:8.0f}x {r['rate']:7.2f} "
              f"{floor['rate'] / max(r['rate'], 1e-9):8.0f}x {r['failed']:6}")
    if any(r["median"] > 30 for r in results.values()):
        print("A median over 30 s: such a page fails under gunicorn's default timeout.")
    if any(r["failed"] for r in results.values()):
        errors = {line for line in server.log.read_text(errors="replace").splitlines()
                  if re.match(r"[\w.]+(Error|Exception): ", line)}
        print("failed: concurrent requests answered other than 200; gunicorn logged:",
              *sorted(errors), sep="\n  ")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: .venv/bin/python bench/bench_reports.py --pg "
               "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--reports", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--requests", type=int, default=100,
                        help="timed requests per page, sequential and concurrent (100)")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--budget", type=float, default=60,
                        help="seconds of sequential requests per page, at most (60)")
    add_database_options(parser)
    arguments = parser.parse_args()
    # `kill` as well as Ctrl-C unwinds through the finally blocks (gunicorn, database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as folder, \
            database(arguments, Path(folder), "coalition_bench_reports") as url:
        run(arguments.reports, arguments.requests, arguments.threads, arguments.workers,
            arguments.budget, url, Path(folder))


if __name__ == "__main__":
    main()
