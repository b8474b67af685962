"""name_bigram_search: find members by a 2-character name at city scale (PostgreSQL only)

A GIN index over each name's two-character pieces (unioncard/members/search.py). Trigrams
cannot serve 张伟: there is no three-character piece inside a two-character name. SQLite keeps
LIKE and gets nothing here. Expression indexes are not compared by autogenerate, so the model
does not declare it.

Revision ID: c5e7a9b1d3f0
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-01 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5e7a9b1d3f0'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION uc_name_bigrams(name text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(substr(name, i, 2)), '{}')
            FROM generate_series(1, char_length(name) - 1) AS i
        $$
        """
    )
    op.execute(
        "CREATE INDEX ix_member_name_bigrams ON member USING gin (uc_name_bigrams(name))"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_member_name_bigrams")
    op.execute("DROP FUNCTION uc_name_bigrams(text)")
