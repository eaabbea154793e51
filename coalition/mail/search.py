"""Full-text search over the archive's posts: SQLite FTS5 on SQLite, PostgreSQL text search
on PostgreSQL, the same way as the reports' search (coalition/reports/search.py, whose word
splitting and folding this reuses). Both index a post's subject, sender name and body, kept
in step by the database itself: FTS5 by triggers, PostgreSQL by a generated column with a
GIN index. Every word of a query must match, each as a prefix ("child" finds "children");
the caller keeps only the posts that are in the archive."""

from __future__ import annotations

from sqlalchemy import DDL, Float, Integer, event, func, literal_column, select, text
from sqlalchemy.sql import Select

from coalition.mail.models import Post
from coalition.reports.search import fold, terms

__all__ = ["fold", "terms", "matching", "ranked", "rebuild"]

# Accented Latin letters and their plain forms, for PostgreSQL's vector: its `simple`
# configuration keeps accents, and the query's words are folded by fold(). translate() is
# immutable, so it can be part of a generated column (unaccent() cannot). The pairs are
# fold()'s own, so both sides agree.
_LETTERS = "àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöōőŕřśšşťţùúûüūůűųýÿžźż"
_ACCENTED = _LETTERS + _LETTERS.upper()
_PLAIN = "".join(fold(letter.lower()) for letter in _ACCENTED)
assert len(_ACCENTED) == len(_PLAIN)

# The text indexed: a post's body is capped (a tsvector has a size limit, and a list post
# is text to read, not a store of data).
BODY_INDEXED = 200_000

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5(subject, sender_name, body, "
    "content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, subject, sender_name, body) "
    "VALUES (new.id, new.subject, new.sender_name, new.body); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, subject, sender_name, body) "
    "VALUES ('delete', old.id, old.subject, old.sender_name, old.body); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF subject, sender_name, body ON posts "
    "BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, subject, sender_name, body) "
    "VALUES ('delete', old.id, old.subject, old.sender_name, old.body); "
    "INSERT INTO posts_fts(rowid, subject, sender_name, body) "
    "VALUES (new.id, new.subject, new.sender_name, new.body); END",
)


def _folded(column: str) -> str:
    return f"translate(lower(coalesce({column}, '')), '{_ACCENTED}', '{_PLAIN}')"


# The subject weighs most, then the sender's name, then the body (ts_rank's weights).
POSTGRESQL_DDL = (
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"setweight(to_tsvector('simple'::regconfig, {_folded('subject')}), 'A') || "
    f"setweight(to_tsvector('simple'::regconfig, {_folded('sender_name')}), 'B') || "
    f"setweight(to_tsvector('simple'::regconfig, {_folded(f'left(body, {BODY_INDEXED})')}),"
    " 'D')) STORED",
    "CREATE INDEX ix_posts_search ON posts USING gin (search_vector)",
)


def _create_index(target, connection, **_kw) -> None:
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}.get(
        connection.dialect.name, ())
    for statement in statements:
        connection.execute(DDL(statement))


# Tests build their schema with create_all; the migration runs the same statements.
event.listen(Post.__table__, "after_create", _create_index)


def rebuild(connection) -> None:
    """Rebuild the index from the posts (FTS5 only; PostgreSQL's vector is generated)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')"))


def _fts_expression(words: list[str]) -> str:
    # Each word is letters and digits only (terms()), so quoting it is enough.
    return " ".join(f'"{word}"*' for word in words)


def matching(statement: Select, words: list[str], dialect: str) -> Select:
    """`statement` (over Post) narrowed to the posts that contain every word."""
    if not words:
        return statement
    if dialect == "sqlite":
        ids = select(literal_column("rowid")).select_from(text("posts_fts")).where(
            text("posts_fts MATCH :posts_match").bindparams(
                posts_match=_fts_expression(words)))
        return statement.where(Post.id.in_(ids))
    return statement.where(_tsvector().bool_op("@@")(_tsquery(words)))


def ranked(statement: Select, words: list[str], dialect: str) -> Select:
    """`statement` narrowed to the matching posts, best first (newest first among equals)."""
    if not words:
        return statement.order_by(Post.queued_at.desc(), Post.id.desc())
    if dialect == "sqlite":
        # bm25 with the same weights as PostgreSQL's: subject, sender, body.
        fts = text("SELECT rowid AS id, bm25(posts_fts, 10.0, 4.0, 1.0) AS score "
                   "FROM posts_fts WHERE posts_fts MATCH :posts_rank").bindparams(
            posts_rank=_fts_expression(words))
        scores = fts.columns(id=Integer(), score=Float()).subquery("scores")
        return statement.join(scores, scores.c.id == Post.id).order_by(
            scores.c.score, Post.queued_at.desc(), Post.id.desc())
    return matching(statement, words, dialect).order_by(
        func.ts_rank(_tsvector(), _tsquery(words)).desc(), Post.queued_at.desc(),
        Post.id.desc())


def _tsvector():
    return literal_column("posts.search_vector")


def _tsquery(words: list[str]):
    return func.to_tsquery(literal_column("'simple'::regconfig"),
                           " & ".join(f"{word}:*" for word in words))
