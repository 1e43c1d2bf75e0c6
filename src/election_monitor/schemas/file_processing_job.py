"""FileProcessingJob schemas: Base / Create / Update / Response."""

from __future__ import annotations

from pydantic import field_validator

from election_monitor.enums import JobStatus
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member


class FileProcessingJobBase(BaseSchema):
    """Base schema for FileProcessingJob model."""

    filename: str
    status: str = "processing"
    details: str | None = None
    transactions_processed: int = 0
    started_at: UTCDatetime
    completed_at: UTCDatetime | None = None

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str) -> str:
        """Addition: job status is one of processing, completed, failed."""
        return check_member(v, JobStatus, "Status")


class FileProcessingJobCreate(FileProcessingJobBase):
    """Schema for creating a FileProcessingJob."""


class FileProcessingJobUpdate(BaseSchema):
    """Schema for updating a FileProcessingJob."""

    status: str | None = None
    details: str | None = None
    transactions_processed: int | None = None
    completed_at: UTCDatetime | None = None

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str | None) -> str | None:
        """Addition: job status is one of processing, completed, failed."""
        return None if v is None else check_member(v, JobStatus, "Status")


class FileProcessingJobResponse(FileProcessingJobBase):
    """Schema for FileProcessingJob response."""

    id: str
