"""Detection: exact integrity rules and statistical detectors over stored hourly statistics.

Input: the tables ingest and metrics fill. Output: signals reconciled into alerts (through
``election_monitor.alerts``) and an explained ``Constituency.anomaly_score``. Guarantees: exact
rules have no statistical false alarms; statistical ones use data up to the tested hour only,
so incremental runs (``DetectionHook``) and ``detect`` agree.
"""

from election_monitor.detection.rules import REGISTRY
from election_monitor.detection.service import DetectionHook, DetectionReport, detect
from election_monitor.detection.settings import DetectionSettings, load_settings_file

__all__ = [
    "REGISTRY",
    "DetectionHook",
    "DetectionReport",
    "DetectionSettings",
    "detect",
    "load_settings_file",
]
