"""ldap numbers: stable uidNumber/gidNumber per person and group

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ldap_numbers",
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "kind", name=op.f("pk_ldap_numbers")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_ldap_numbers_kind_number")),
        sqlite_with_rowid=False,
    )
    counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(counters, [{"name": "ldap_uid", "value": 0}, {"name": "ldap_gid", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name IN ('ldap_uid', 'ldap_gid')")
    op.drop_table("ldap_numbers")
