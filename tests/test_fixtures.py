"""The fixtures' shortcuts change nothing a test sees: the URL builders reused across apps
are the code werkzeug compiles, and a reused PostgreSQL database comes back as cloned."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import PostgresServer, ReusedDatabase, _compile_url_builder, make_test_app


def test_reused_url_builders_are_the_code_werkzeug_compiles(tmp_path):
    for n in range(2):  # the second app's rules get the builders made for the first
        app = make_test_app(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path / f"i{n}")
    for rule in app.url_map.iter_rules():
        assert rule._build.__func__.__code__ == _compile_url_builder(rule, False).__code__
        assert rule._build_unknown.__func__.__code__ == \
            _compile_url_builder(rule, True).__code__


TEMPLATE_SCHEMA = """
    CREATE TABLE parents (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE children (
        id serial PRIMARY KEY, parent_id integer NOT NULL REFERENCES parents, note text,
        words tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(note, ''))) STORED);
    CREATE TABLE empty_at_first (id serial PRIMARY KEY, parent_id integer REFERENCES parents);
    INSERT INTO parents (name) VALUES ('first'), ('second');
    INSERT INTO children (parent_id, note) VALUES (2, 'kept as it was');
"""


@pytest.fixture
def reused(postgres: PostgresServer) -> Iterator[ReusedDatabase]:
    template = postgres.create()
    with sa.create_engine(postgres.url_for(template), poolclass=sa.pool.NullPool).begin() \
            as connection:
        connection.exec_driver_sql(TEMPLATE_SCHEMA)
    database = ReusedDatabase(postgres, template)
    yield database
    database.close()
    postgres.drop(template)


def run(database: ReusedDatabase, *statements: str) -> list[list[tuple]]:
    """Each statement's rows (none for those that return none), on a connection closed after."""
    engine = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        results = [connection.exec_driver_sql(statement) for statement in statements]
        return [list(result) if result.returns_rows else [] for result in results]


def everything(database: ReusedDatabase) -> list[list[tuple]]:
    return run(database, "SELECT * FROM parents ORDER BY id",
               "SELECT id, parent_id, note, words::text FROM children ORDER BY id",
               "SELECT * FROM empty_at_first")


def test_a_reset_brings_back_the_rows_and_the_next_ids(reused):
    before = everything(reused)
    run(reused, "INSERT INTO parents (name) VALUES ('third')",
        "INSERT INTO children (parent_id, note) VALUES (3, 'new')",
        "UPDATE parents SET name = 'renamed' WHERE id = 2",  # its child comes back too
        "DELETE FROM parents WHERE name = 'first'",
        "INSERT INTO empty_at_first (parent_id) VALUES (2)")
    name = reused.name
    reused.reset()
    assert reused.name == name  # the same database, not a new clone
    assert everything(reused) == before
    assert run(reused, "INSERT INTO parents (name) VALUES ('x')",
               "INSERT INTO empty_at_first (parent_id) VALUES (1)",
               "SELECT max(id) FROM parents", "SELECT max(id) FROM empty_at_first")[2:] == \
        [[(3,)], [(1,)]]


def test_a_reset_sets_back_a_sequence_a_rolled_back_insert_used(reused):
    engine = sa.create_engine(reused.url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO empty_at_first (parent_id) VALUES (1)")
        connection.rollback()
    reused.reset()
    assert run(reused, "INSERT INTO empty_at_first (parent_id) VALUES (1) RETURNING id") == \
        [[(1,)]]


def test_a_table_bloated_by_deleted_rows_is_truncated(reused):
    run(reused, "INSERT INTO empty_at_first (parent_id) SELECT 1 FROM generate_series(1, 5000)")
    reused.reset()
    assert run(reused, "SELECT pg_relation_size('empty_at_first')") == [[(0,)]]


def test_a_connection_left_open_gets_a_new_clone(reused, postgres, monkeypatch):
    monkeypatch.setattr(reused, "WAIT_SECONDS", 0.1)
    name = reused.name
    with psycopg.connect(postgres.conninfo(name), autocommit=True) as left_open:
        left_open.execute("INSERT INTO parents (name) VALUES ('late')")
        reused.reset()
    assert reused.name != name
    assert everything(reused)[0] == [(1, "first"), (2, "second")]


@pytest.mark.parametrize("change", [
    "ALTER TABLE parents ADD COLUMN extra text",
    "CREATE INDEX ON children (note)",
    "ALTER TABLE children DROP CONSTRAINT children_parent_id_fkey",
    "CREATE SCHEMA elsewhere",
])
def test_a_changed_schema_gets_a_new_clone(reused, change):
    before = everything(reused)
    name = reused.name
    run(reused, change)
    reused.reset()
    assert reused.name != name
    assert everything(reused) == before
    assert run(reused, "SELECT count(*) FROM information_schema.columns "
                       "WHERE table_name = 'parents' AND column_name = 'extra'") == [[(0,)]]
