"""nt hash: credentials.nt_hash for FreeRADIUS MSCHAPv2 (off unless [ldap] nt_hash)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credentials", sa.Column("nt_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:  # SQLite rebuilds the table
        batch.drop_column("nt_hash")
