"""Named queries on transactions (ordered by chain time; bulk loading lives in ingest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from election_monitor.crud.base import BaseCRUD, OrderBy
from election_monitor.models import Transaction
from election_monitor.schemas import TransactionCreate, TransactionResponse


class TransactionCRUD(BaseCRUD[Transaction, TransactionCreate, TransactionResponse]):
    """CRUD operations for Transaction model."""

    model = Transaction

    def _order(self) -> list[OrderBy]:
        return [Transaction.timestamp, Transaction.id]

    def create(self, obj_in: TransactionCreate | dict[str, Any]) -> Transaction:
        """Create a transaction; an explicit ``id`` of ``None`` means a fresh UUID."""
        if isinstance(obj_in, TransactionCreate):
            obj_in = obj_in.model_dump(exclude_none=obj_in.id is None)
        return super().create(obj_in)

    def get_by_constituency(self, *, constituency_id: str) -> list[Transaction]:
        """Get transactions by constituency ID."""
        return self._all(self._select().where(Transaction.constituency_id == constituency_id))

    def get_by_type(self, *, type: str) -> list[Transaction]:
        """Get transactions by type."""
        return self._all(self._select().where(Transaction.type == type))

    def get_by_time_range(self, *, start_time: datetime, end_time: datetime) -> list[Transaction]:
        """Get transactions with start_time <= timestamp < end_time."""
        return self._all(
            self._select().where(
                Transaction.timestamp >= start_time, Transaction.timestamp < end_time
            )
        )

    def get_by_block_height(self, *, block_height: int) -> list[Transaction]:
        """Get transactions by block height."""
        return self._all(self._select().where(Transaction.block_height == block_height))
