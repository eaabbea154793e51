"""Full-text search over reports: SQLite FTS5 on SQLite, PostgreSQL text search on
PostgreSQL. Both read `reports.search_text` (the metadata and the text inside the current
files, folded: lower case, no accents), kept in step by the database itself: FTS5 by
triggers, PostgreSQL by a generated column with a GIN index. Every word of a query must
match, each as a prefix ("child" finds "children")."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import (
    DDL,
    ColumnElement,
    Float,
    Integer,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql import Select

from coalition.reports.models import Report

MAX_TERMS = 12
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as both indexes split words

# The search index is not in the models' metadata (neither dialect can declare it there);
# migrations create it and Alembic's comparison leaves these names alone.
# The archive's index of posts (coalition/mail/search.py) is made the same way.
INDEX_OBJECTS = ("reports_fts", "ix_reports_search", "search_vector", "posts_fts",
                 "ix_posts_search")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE reports_fts USING fts5(search_text, content='reports', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN "
    "INSERT INTO reports_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN "
    "INSERT INTO reports_fts(reports_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER reports_fts_update AFTER UPDATE OF search_text ON reports BEGIN "
    "INSERT INTO reports_fts(reports_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO reports_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
# A stored vector: an expression index alone would find the rows, but ranking and
# counting them would parse every matching report's text again (seconds for a common word).
POSTGRESQL_DDL = (
    "ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_reports_search ON reports USING gin (search_vector)",
    # The vector in the row itself (compressed) and the long text out of it: the planner
    # then sees what a scan really costs and takes the index for a rare word (11 ms
    # instead of 90 ms at 10,000 reports), and a scan never unpacks the text.
    "ALTER TABLE reports ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE reports ALTER COLUMN search_text SET STORAGE EXTERNAL",
)


def is_index_object(name: str | None) -> bool:
    return bool(name) and any(name == n or name.startswith(n + "_") for n in INDEX_OBJECTS)


def _create_index(target, connection, **_kw) -> None:
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}.get(
        connection.dialect.name, ())
    for statement in statements:
        connection.execute(DDL(statement))


# Tests build their schema with create_all; migrations run the same statements.
event.listen(Report.__table__, "after_create", _create_index)


def rebuild(connection) -> None:
    """Rebuild the index from reports.search_text (FTS5 only; PostgreSQL's vector is a
    generated column and cannot drift)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("INSERT INTO reports_fts(reports_fts) VALUES ('rebuild')"))


def fold(value: str) -> str:
    """Lower-case and without accents, so "Éducation" and "education" are one word on both
    databases (PostgreSQL's `simple` configuration keeps accents)."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(query: str, limit: int | None = MAX_TERMS) -> list[str]:
    """The words of a search box (or any text), folded, at most `limit` of them."""
    return _WORD.findall(fold(query or ""))[:limit]


def matching(statement: Select, words: list[str], dialect: str) -> Select:
    """`statement` (over Report) narrowed to the reports that contain every word."""
    if not words:
        return statement
    if dialect == "sqlite":
        expression = " ".join(f'"{word}"*' for word in words)
        ids = select(literal_column("rowid")).select_from(text("reports_fts")).where(
            text("reports_fts MATCH :match_filter").bindparams(match_filter=expression))
        return statement.where(Report.id.in_(ids))
    return statement.where(_tsvector().bool_op("@@")(_tsquery(words)))


def rank(words: list[str], dialect: str) -> ColumnElement | None:
    """A relevance score to order by (higher is better), or None for SQLite, where the
    index's own rank needs a join; see ranked()."""
    if not words or dialect == "sqlite":
        return None
    return func.ts_rank(_tsvector(), _tsquery(words))


def ranked(statement: Select, words: list[str], dialect: str) -> Select:
    """`statement` ordered by relevance, best first (newest first among equals)."""
    if dialect == "sqlite":
        expression = " ".join(f'"{word}"*' for word in words)
        fts = text("SELECT rowid AS id, bm25(reports_fts) AS score FROM reports_fts "
                   "WHERE reports_fts MATCH :match_rank").bindparams(match_rank=expression)
        scores = fts.columns(id=Integer(), score=Float()).subquery("scores")
        return statement.join(scores, scores.c.id == Report.id).order_by(
            scores.c.score, Report.published_on.desc(), Report.id.desc())
    return statement.order_by(rank(words, dialect).desc(), Report.published_on.desc(),
                              Report.id.desc())


def _tsvector():
    return literal_column("reports.search_vector")


def _tsquery(words: list[str]):
    # Each word is made only of letters and digits, so it cannot carry tsquery operators.
    return func.to_tsquery(literal_column("'simple'::regconfig"),
                           " & ".join(f"{word}:*" for word in words))
