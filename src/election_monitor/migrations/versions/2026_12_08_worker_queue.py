"""Ingest workers: the durable file queue and the detection backlog.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("contract_key", sa.String(), nullable=False),
        sa.Column("election_id", sa.String(), nullable=True),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"], ["elections.id"], name=op.f("fk_file_queue_election_id_elections")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["file_processing_jobs.id"],
            name=op.f("fk_file_queue_job_id_file_processing_jobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_queue")),
    )
    with op.batch_alter_table("file_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_queue_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_file_queue_contract_key"), ["contract_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_file_queue_path"), ["path"], unique=False)
        batch_op.create_index("ix_file_queue_state_id", ["state", "id"], unique=False)

    op.create_table(
        "detection_backlog",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conflict_tx_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection_backlog")),
    )


def downgrade() -> None:
    op.drop_table("detection_backlog")
    with op.batch_alter_table("file_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_file_queue_state_id")
        batch_op.drop_index(batch_op.f("ix_file_queue_path"))
        batch_op.drop_index(batch_op.f("ix_file_queue_contract_key"))
        batch_op.drop_index(batch_op.f("ix_file_queue_batch_id"))

    op.drop_table("file_queue")
