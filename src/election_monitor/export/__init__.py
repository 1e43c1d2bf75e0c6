"""Exports for forensic tools: constituencies, hourly statistics, alerts and transactions as
CSV or Parquet, streamed from the database at flat memory.

Input: the stored tables of one election. Output: one file per table, columns and units as
in docs/exports.md. Guarantees: rows in a fixed order (same data, same bytes for CSV), CSV
cells that a spreadsheet would run as a formula are neutralised, and a failed export leaves
no partial file behind.
"""

from election_monitor.export.service import TABLES, ExportResult, export_table

__all__ = ["TABLES", "ExportResult", "export_table"]
