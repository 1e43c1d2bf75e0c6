"""Transaction schemas: Base / Create / Response (transactions are never edited)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from election_monitor.enums import TransactionType
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member


class TransactionBase(BaseSchema):
    """Base schema for Transaction model."""

    constituency_id: str
    block_height: int
    timestamp: UTCDatetime
    type: str
    raw_data: dict[str, Any]
    operation_data: dict[str, Any] | None = None

    @field_validator("type")
    @classmethod
    def validate_type(cls, v: str) -> str:
        """Validate transaction type."""
        return check_member(v, TransactionType, "Type")


class TransactionCreate(TransactionBase):
    """Schema for creating a Transaction."""

    id: str | None = None  # addition: the chain's transaction id; a UUID when omitted


class TransactionResponse(TransactionBase):
    """Schema for Transaction response."""

    id: str
    created_at: UTCDatetime
