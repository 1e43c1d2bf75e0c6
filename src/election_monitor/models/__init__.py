"""All tables; importing this package registers every model on ``Base.metadata``."""

from election_monitor.models.alert import Alert
from election_monitor.models.alert_event import AlertEvent
from election_monitor.models.anomaly_score import AnomalyScore
from election_monitor.models.api_token import ApiToken
from election_monitor.models.audit_log import AuditLog
from election_monitor.models.constituency import Constituency
from election_monitor.models.contract_event import ContractEvent
from election_monitor.models.detection_backlog import DetectionBacklog
from election_monitor.models.election import Election
from election_monitor.models.file_processing_job import FileProcessingJob
from election_monitor.models.file_queue import FileQueueEntry
from election_monitor.models.hourly_stats import HourlyStats
from election_monitor.models.ingest_records import RejectedRow, TransactionRollback
from election_monitor.models.login_session import LoginAttempt, LoginSession
from election_monitor.models.notification_channel import NotificationChannel
from election_monitor.models.notification_delivery import NotificationDelivery
from election_monitor.models.notification_delivery_alert import NotificationDeliveryAlert
from election_monitor.models.notification_outbox import NotificationOutbox
from election_monitor.models.notification_rule import NotificationRule
from election_monitor.models.notification_silence import NotificationSilence
from election_monitor.models.stream_event import StreamEvent
from election_monitor.models.transaction import Transaction
from election_monitor.models.user import User

__all__ = [
    "Alert",
    "AlertEvent",
    "AnomalyScore",
    "ApiToken",
    "AuditLog",
    "Constituency",
    "ContractEvent",
    "DetectionBacklog",
    "Election",
    "FileProcessingJob",
    "FileQueueEntry",
    "HourlyStats",
    "LoginAttempt",
    "LoginSession",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationDeliveryAlert",
    "NotificationOutbox",
    "NotificationRule",
    "NotificationSilence",
    "RejectedRow",
    "StreamEvent",
    "Transaction",
    "TransactionRollback",
    "User",
]
