"""Mailing lists, part 2: the archive's full-text search over posts

Revision ID: 5b0e3c7d9a21
Revises: 42851b265f87
Create Date: 2026-11-22 21:30:00.000000
"""

from alembic import op

# The full-text index over posts' subject, sender name and body (the statements of
# coalition/mail/search.py as they were when this migration was written).
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5(subject, sender_name, body, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    'CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN INSERT INTO posts_fts(rowid, subject, sender_name, body) VALUES (new.id, new.subject, new.sender_name, new.body); END',
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN INSERT INTO posts_fts(posts_fts, rowid, subject, sender_name, body) VALUES ('delete', old.id, old.subject, old.sender_name, old.body); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF subject, sender_name, body ON posts BEGIN INSERT INTO posts_fts(posts_fts, rowid, subject, sender_name, body) VALUES ('delete', old.id, old.subject, old.sender_name, old.body); INSERT INTO posts_fts(rowid, subject, sender_name, body) VALUES (new.id, new.subject, new.sender_name, new.body); END",
)
POSTGRESQL_SEARCH = (
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, translate(lower(coalesce(subject, '')), 'àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöōőŕřśšşťţùúûüūůűųýÿžźżÀÁÂÃÄÅĀĂĄÇĆČĎÈÉÊËĒĖĘĚÌÍÎÏĪĮÑŃŇÒÓÔÕÖŌŐŔŘŚŠŞŤŢÙÚÛÜŪŮŰŲÝŸŽŹŻ', 'aaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzzaaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzz')), 'A') || setweight(to_tsvector('simple'::regconfig, translate(lower(coalesce(sender_name, '')), 'àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöōőŕřśšşťţùúûüūůűųýÿžźżÀÁÂÃÄÅĀĂĄÇĆČĎÈÉÊËĒĖĘĚÌÍÎÏĪĮÑŃŇÒÓÔÕÖŌŐŔŘŚŠŞŤŢÙÚÛÜŪŮŰŲÝŸŽŹŻ', 'aaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzzaaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzz')), 'B') || setweight(to_tsvector('simple'::regconfig, translate(lower(coalesce(left(body, 200000), '')), 'àáâãäåāăąçćčďèéêëēėęěìíîïīįñńňòóôõöōőŕřśšşťţùúûüūůűųýÿžźżÀÁÂÃÄÅĀĂĄÇĆČĎÈÉÊËĒĖĘĚÌÍÎÏĪĮÑŃŇÒÓÔÕÖŌŐŔŘŚŠŞŤŢÙÚÛÜŪŮŰŲÝŸŽŹŻ', 'aaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzzaaaaaaaaacccdeeeeeeeeiiiiiinnnooooooorrsssttuuuuuuuuyyzzz')), 'D')) STORED",
    'CREATE INDEX ix_posts_search ON posts USING gin (search_vector)',
)

revision = '5b0e3c7d9a21'
down_revision = '42851b265f87'
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRESQL_SEARCH}.get(dialect, ()):
        op.execute(statement)
    if dialect == "sqlite":
        # The posts already sent: FTS5's external content is indexed only from now on.
        op.execute("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search")
        op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
