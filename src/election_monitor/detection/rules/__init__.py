"""Every detection rule, registered on import (``REGISTRY``: id -> class)."""

from election_monitor.detection.rules import exact, statistical
from election_monitor.detection.rules.base import REGISTRY, Context, Rule

__all__ = ["REGISTRY", "Context", "Rule", "exact", "statistical"]
