"""Pydantic schemas, one family (Base / Create / Update / Response) per entity."""

from election_monitor.schemas.alert import AlertBase, AlertCreate, AlertResponse, AlertUpdate
from election_monitor.schemas.base import BaseSchema
from election_monitor.schemas.constituency import (
    ConstituencyBase,
    ConstituencyCreate,
    ConstituencyResponse,
    ConstituencyUpdate,
)
from election_monitor.schemas.election import (
    ElectionBase,
    ElectionCreate,
    ElectionResponse,
    ElectionUpdate,
)
from election_monitor.schemas.file_processing_job import (
    FileProcessingJobBase,
    FileProcessingJobCreate,
    FileProcessingJobResponse,
    FileProcessingJobUpdate,
)
from election_monitor.schemas.hourly_stats import (
    HourlyStatsBase,
    HourlyStatsCreate,
    HourlyStatsResponse,
)
from election_monitor.schemas.transaction import (
    TransactionBase,
    TransactionCreate,
    TransactionResponse,
)

__all__ = [
    "AlertBase",
    "AlertCreate",
    "AlertResponse",
    "AlertUpdate",
    "BaseSchema",
    "ConstituencyBase",
    "ConstituencyCreate",
    "ConstituencyResponse",
    "ConstituencyUpdate",
    "ElectionBase",
    "ElectionCreate",
    "ElectionResponse",
    "ElectionUpdate",
    "FileProcessingJobBase",
    "FileProcessingJobCreate",
    "FileProcessingJobResponse",
    "FileProcessingJobUpdate",
    "HourlyStatsBase",
    "HourlyStatsCreate",
    "HourlyStatsResponse",
    "TransactionBase",
    "TransactionCreate",
    "TransactionResponse",
]
