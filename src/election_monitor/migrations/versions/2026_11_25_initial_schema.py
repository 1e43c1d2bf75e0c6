"""Initial schema: the seed contract's six tables, with indexes on every foreign key
and on the columns the CRUD queries filter by.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("total_constituencies", sa.Integer(), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    op.create_index(op.f("ix_elections_name"), "elections", ["name"], unique=False)
    op.create_index(op.f("ix_elections_status"), "elections", ["status"], unique=False)

    op.create_table(
        "file_processing_jobs",
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("transactions_processed", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_processing_jobs")),
    )
    op.create_index(
        op.f("ix_file_processing_jobs_filename"), "file_processing_jobs", ["filename"], unique=False
    )
    op.create_index(
        op.f("ix_file_processing_jobs_status"), "file_processing_jobs", ["status"], unique=False
    )

    op.create_table(
        "constituencies",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("election_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("registered_voters", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("last_update_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bulletins_issued", sa.Integer(), nullable=True),
        sa.Column("votes_cast", sa.Integer(), nullable=True),
        sa.Column("participation_rate", sa.Float(), nullable=True),
        sa.Column("anomaly_score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["election_id"], ["elections.id"], name=op.f("fk_constituencies_election_id_elections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_constituencies")),
    )
    op.create_index(
        op.f("ix_constituencies_election_id"), "constituencies", ["election_id"], unique=False
    )
    op.create_index(op.f("ix_constituencies_region"), "constituencies", ["region"], unique=False)
    op.create_index(op.f("ix_constituencies_status"), "constituencies", ["status"], unique=False)
    op.create_index(op.f("ix_constituencies_type"), "constituencies", ["type"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.String(), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituencies.id"],
            name=op.f("fk_alerts_constituency_id_constituencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_constituency_id"), "alerts", ["constituency_id"], unique=False)
    op.create_index(op.f("ix_alerts_severity"), "alerts", ["severity"], unique=False)
    op.create_index(op.f("ix_alerts_status"), "alerts", ["status"], unique=False)
    op.create_index(op.f("ix_alerts_type"), "alerts", ["type"], unique=False)

    op.create_table(
        "hourly_stats",
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bulletins_issued", sa.Integer(), nullable=True),
        sa.Column("votes_cast", sa.Integer(), nullable=True),
        sa.Column("transaction_count", sa.Integer(), nullable=True),
        sa.Column("bulletin_velocity", sa.Float(), nullable=True),
        sa.Column("vote_velocity", sa.Float(), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituencies.id"],
            name=op.f("fk_hourly_stats_constituency_id_constituencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hourly_stats")),
    )
    op.create_index(
        op.f("ix_hourly_stats_constituency_id"), "hourly_stats", ["constituency_id"], unique=False
    )
    op.create_index(op.f("ix_hourly_stats_hour"), "hourly_stats", ["hour"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("constituency_id", sa.String(), nullable=False),
        sa.Column(
            "block_height", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column(
            "raw_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "operation_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituencies.id"],
            name=op.f("fk_transactions_constituency_id_constituencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    op.create_index(
        op.f("ix_transactions_block_height"), "transactions", ["block_height"], unique=False
    )
    op.create_index(
        op.f("ix_transactions_constituency_id"), "transactions", ["constituency_id"], unique=False
    )
    op.create_index(op.f("ix_transactions_timestamp"), "transactions", ["timestamp"], unique=False)
    op.create_index(op.f("ix_transactions_type"), "transactions", ["type"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_transactions_type"), table_name="transactions")
    op.drop_index(op.f("ix_transactions_timestamp"), table_name="transactions")
    op.drop_index(op.f("ix_transactions_constituency_id"), table_name="transactions")
    op.drop_index(op.f("ix_transactions_block_height"), table_name="transactions")

    op.drop_table("transactions")
    op.drop_index(op.f("ix_hourly_stats_hour"), table_name="hourly_stats")
    op.drop_index(op.f("ix_hourly_stats_constituency_id"), table_name="hourly_stats")

    op.drop_table("hourly_stats")
    op.drop_index(op.f("ix_alerts_type"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_status"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_severity"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_constituency_id"), table_name="alerts")

    op.drop_table("alerts")
    op.drop_index(op.f("ix_constituencies_type"), table_name="constituencies")
    op.drop_index(op.f("ix_constituencies_status"), table_name="constituencies")
    op.drop_index(op.f("ix_constituencies_region"), table_name="constituencies")
    op.drop_index(op.f("ix_constituencies_election_id"), table_name="constituencies")

    op.drop_table("constituencies")
    op.drop_index(op.f("ix_file_processing_jobs_status"), table_name="file_processing_jobs")
    op.drop_index(op.f("ix_file_processing_jobs_filename"), table_name="file_processing_jobs")

    op.drop_table("file_processing_jobs")
    op.drop_index(op.f("ix_elections_status"), table_name="elections")
    op.drop_index(op.f("ix_elections_name"), table_name="elections")

    op.drop_table("elections")
