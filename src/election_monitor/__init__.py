"""Election Monitoring System: live monitoring of blockchain-based remote e-voting."""

__version__ = "0.1.0"
