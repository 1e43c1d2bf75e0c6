"""Ingest: contract events, rollbacks and rejected rows; counting columns; job checkpoints;
election/constituency time zones; one hourly_stats row per constituency and hour.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transaction_rollbacks",
        sa.Column("tx_id", sa.String(), nullable=False),
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column(
            "raw_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tx_id", name=op.f("pk_transaction_rollbacks")),
    )
    with op.batch_alter_table("transaction_rollbacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_rollbacks_constituency_id"),
            ["constituency_id"],
            unique=False,
        )

    op.create_table(
        "contract_events",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "block_height", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "raw_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rolled_back", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituencies.id"],
            name=op.f("fk_contract_events_constituency_id_constituencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_events")),
    )
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_events_constituency_id"), ["constituency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_events_operation"), ["operation"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contract_events_timestamp"), ["timestamp"], unique=False
        )

    op.create_table(
        "rejected_rows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tx_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["file_processing_jobs.id"],
            name=op.f("fk_rejected_rows_job_id_file_processing_jobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_rows")),
    )
    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_rows_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rejected_rows_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_rejected_rows_tx_id"), ["tx_id"], unique=False)

    with op.batch_alter_table("constituencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("inferred", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("voters_listed", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rejected_votes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("revotes", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("voting_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voting_end", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revote_blocked", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("last_data_time", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(), server_default="UTC", nullable=False)
        )

    with op.batch_alter_table("file_processing_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("format", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("size_bytes", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("election_id", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("rows_inserted", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rows_duplicate", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rows_rejected", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_file_processing_jobs_election_id"), ["election_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_file_processing_jobs_sha256"), ["sha256"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_file_processing_jobs_election_id_elections"),
            "elections",
            ["election_id"],
            ["id"],
        )

    with op.batch_alter_table("hourly_stats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("vote_calls", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rejected_votes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_hourly_stats_constituency_id_hour"), ["constituency_id", "hour"]
        )

    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voter_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("accepted", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("bulletins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rolled_back", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_transactions_constituency_id_timestamp",
            ["constituency_id", "timestamp"],
            unique=False,
        )
        batch_op.create_index(
            "ix_transactions_constituency_id_voter_key",
            ["constituency_id", "voter_key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_constituency_id_voter_key")
        batch_op.drop_index("ix_transactions_constituency_id_timestamp")
        batch_op.drop_column("rolled_back")
        batch_op.drop_column("bulletins")
        batch_op.drop_column("accepted")
        batch_op.drop_column("voter_key")

    with op.batch_alter_table("hourly_stats", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_hourly_stats_constituency_id_hour"), type_="unique")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("rejected_votes")
        batch_op.drop_column("vote_calls")

    with op.batch_alter_table("file_processing_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_file_processing_jobs_election_id_elections"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_file_processing_jobs_sha256"))
        batch_op.drop_index(batch_op.f("ix_file_processing_jobs_election_id"))
        batch_op.drop_column("rows_rejected")
        batch_op.drop_column("rows_duplicate")
        batch_op.drop_column("rows_inserted")
        batch_op.drop_column("election_id")
        batch_op.drop_column("size_bytes")
        batch_op.drop_column("sha256")
        batch_op.drop_column("format")
        batch_op.drop_column("path")

    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("timezone")

    with op.batch_alter_table("constituencies", schema=None) as batch_op:
        batch_op.drop_column("last_data_time")
        batch_op.drop_column("revote_blocked")
        batch_op.drop_column("voting_end")
        batch_op.drop_column("voting_start")
        batch_op.drop_column("revotes")
        batch_op.drop_column("rejected_votes")
        batch_op.drop_column("voters_listed")
        batch_op.drop_column("inferred")
        batch_op.drop_column("timezone")

    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_rows_tx_id"))
        batch_op.drop_index(batch_op.f("ix_rejected_rows_kind"))
        batch_op.drop_index(batch_op.f("ix_rejected_rows_job_id"))

    op.drop_table("rejected_rows")
    with op.batch_alter_table("contract_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_events_timestamp"))
        batch_op.drop_index(batch_op.f("ix_contract_events_operation"))
        batch_op.drop_index(batch_op.f("ix_contract_events_constituency_id"))

    op.drop_table("contract_events")
    with op.batch_alter_table("transaction_rollbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_rollbacks_constituency_id"))

    op.drop_table("transaction_rollbacks")
