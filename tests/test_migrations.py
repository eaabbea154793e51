"""Alembic: one head, the migrations build exactly the models, and every step downgrades."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from coalition.extensions import db
from coalition.migrate import alembic_config, script_directory
from coalition.models import metadata
from coalition.reports.search import is_index_object
from tests.conftest import make_test_app


def _revisions() -> list[str]:
    """Revision ids, oldest first."""
    return [rev.revision for rev in reversed(list(script_directory().walk_revisions()))]


@pytest.fixture
def empty_app(empty_database_url, tmp_path):
    app = make_test_app(empty_database_url, tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    """The tables, without the search index's own (made by hand, not in the models)."""
    return {name for name in sa.inspect(db.engine).get_table_names()
            if name != "alembic_version" and not is_index_object(name)}


def test_there_is_exactly_one_head():
    assert len(script_directory().get_heads()) == 1


def test_upgrading_an_empty_database_matches_the_models(empty_app):
    command.upgrade(alembic_config(), "head")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to:
                not (reflected and is_index_object(name))})
        assert compare_metadata(context, metadata) == []
    command.check(alembic_config())  # what `coalition db check` runs
    assert _tables() == set(metadata.tables)


def test_downgrade_to_base_removes_everything(empty_app):
    command.upgrade(alembic_config(), "head")
    command.downgrade(alembic_config(), "base")
    assert _tables() == set()


@pytest.mark.parametrize("revision", _revisions())
def test_every_migration_downgrades_and_upgrades_again(empty_app, revision):
    config = alembic_config()
    command.upgrade(config, revision)
    after_upgrade = _tables()
    command.downgrade(config, "-1")
    command.upgrade(config, revision)
    assert _tables() == after_upgrade


@pytest.mark.parametrize("revision", _revisions()[1:])
def test_later_migrations_keep_existing_users(empty_app, revision):
    config = alembic_config()
    command.upgrade(config, revision)
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO users (email, name, role, password_hash, is_active, session_token, "
            "created_at) VALUES ('kept@example.org', 'Kept', 'member', 'x', :t, 'tok', "
            "CURRENT_TIMESTAMP)"), {"t": True})
    command.downgrade(config, "-1")
    command.upgrade(config, revision)
    with db.engine.connect() as connection:
        emails = connection.execute(sa.text("SELECT email FROM users")).scalars().all()
    assert emails == ["kept@example.org"]


REBUILD_USERS = '''"""Test only: rebuilds the users table, as SQLite batch mode does."""
import sqlalchemy as sa
from alembic import op

revision = "test_rebuild_users"
down_revision = {head!r}
branch_labels = None
depends_on = None


def _recreate():
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table("users", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("nickname", sa.String(50)))


def downgrade():
    with op.batch_alter_table("users", recreate=_recreate()) as batch:
        batch.drop_column("nickname")
'''


def test_rebuilding_a_referenced_table_keeps_every_row(empty_app, tmp_path):
    """A later migration that rebuilds `users` (which other tables point at) keeps the data
    on a populated database, both ways."""
    from coalition import PROJECT_ROOT

    migrations = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", migrations)
    head = script_directory().get_current_head()
    (migrations / "versions" / "zz_test_rebuild_users.py").write_text(
        REBUILD_USERS.format(head=head))
    config = alembic_config()
    config.set_main_option("script_location", str(migrations))
    command.upgrade(config, head)
    with empty_app.test_request_context():
        from coalition.auth import services
        from tests.factories import make_user

        focal = make_user(role="focal_contact")
        services.invite(focal, email="guest@example.org", name="Guest")
        db.session.commit()

    def rows() -> dict[str, int]:
        with db.engine.connect() as connection:
            return {table: connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
                    for table in ("users", "invitations", "audit_events")}

    before = rows()
    assert before == {"users": 1, "invitations": 1, "audit_events": 2}
    command.upgrade(config, "test_rebuild_users")
    assert rows() == before
    command.downgrade(config, head)
    assert rows() == before


def test_db_commands_from_the_cli(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "users" in _tables()
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert _tables() == set()
