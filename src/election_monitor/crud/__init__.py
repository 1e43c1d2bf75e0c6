"""Database access: one CRUD class per model, constructed as ``ElectionCRUD(db)``."""

from election_monitor.crud.alert import AlertCRUD
from election_monitor.crud.base import MAX_LIMIT, BaseCRUD
from election_monitor.crud.constituency import ConstituencyCRUD
from election_monitor.crud.election import ElectionCRUD
from election_monitor.crud.file_processing_job import FileProcessingJobCRUD
from election_monitor.crud.hourly_stats import HourlyStatsCRUD
from election_monitor.crud.transaction import TransactionCRUD

__all__ = [
    "MAX_LIMIT",
    "AlertCRUD",
    "BaseCRUD",
    "ConstituencyCRUD",
    "ElectionCRUD",
    "FileProcessingJobCRUD",
    "HourlyStatsCRUD",
    "TransactionCRUD",
]
