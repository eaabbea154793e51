"""Report archive: reports, files and versions, tags, allowed file kinds, search index

Revision ID: f7102c5a4041
Revises: 9e53145e9312
Create Date: 2026-11-22 15:08:31.283231
"""

import sqlalchemy as sa
from alembic import op

# The full-text index over reports.search_text (the statements of
# coalition/reports/search.py as they were when this migration was written).
SQLITE_SEARCH = (
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
POSTGRESQL_SEARCH = (
    "ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_reports_search ON reports USING gin (search_vector)",
    # The vector in the row itself (compressed) and the long text out of it: the planner
    # then sees what a scan really costs and takes the index for a rare word (11 ms
    # instead of 90 ms at 10,000 reports), and a scan never unpacks the text.
    "ALTER TABLE reports ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE reports ALTER COLUMN search_text SET STORAGE EXTERNAL",
)

revision = 'f7102c5a4041'
down_revision = '9e53145e9312'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_allowed_file_types',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('allowed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('allowed_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_report_allowed_file_types'))
    )
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('fiscal_year', sa.String(length=8), nullable=True),
    sa.Column('authors', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('external_url', sa.String(length=1000), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('first_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('annual_report', 'session_report', 'policy_paper', 'position_paper', 'guidelines', 'submission', 'other')", name=op.f('ck_reports_type_valid')),
    sa.CheckConstraint("visibility IN ('draft', 'members', 'public')", name=op.f('ck_reports_visibility_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('slug', name=op.f('uq_reports_slug'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_listing', ['is_archived', 'visibility', 'published_on', 'id'], unique=False)
        batch_op.create_index('ix_reports_facets', ['is_archived', 'visibility', 'type', 'language', 'published_on'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRESQL_SEARCH}.get(dialect, ()):
        op.execute(statement)

    op.create_table('report_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['report_files.id'], name=op.f('fk_report_files_replaced_by_id_report_files')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_files_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_files'))
    )
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.create_index('ix_report_files_report', ['report_id', 'replaced_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_files_sha256'), ['sha256'], unique=False)

    op.create_table('report_tags',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_tags_report_id_reports')),
    sa.PrimaryKeyConstraint('report_id', 'tag', name=op.f('pk_report_tags'))
    )
    with op.batch_alter_table('report_tags', schema=None) as batch_op:
        batch_op.create_index('ix_report_tags_tag', ['tag', 'report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_report_tags_tag')

    op.drop_table('report_tags')
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_files_sha256'))
        batch_op.drop_index('ix_report_files_report')

    op.drop_table('report_files')
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS reports_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS reports_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_reports_search")
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_listing')
        batch_op.drop_index('ix_reports_facets')

    op.drop_table('reports')
    op.drop_table('report_allowed_file_types')
