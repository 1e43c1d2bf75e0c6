"""The ingest stage: observer files in, normalised chain records and row errors out.

Input: files from the observer node or portal, in any of the formats of ``docs/formats.md``
(deg-export, deg-dump, hourly-csv), plain, ``.gz`` or ``.zip``, in UTF-8, UTF-8 with BOM or
Windows-1251; a folder of such files is read file by file in a deterministic order.

Output: a stream of :class:`~election_monitor.ingest.records.ChainRecord` (one contract
transaction with the counting rules already applied by
:func:`~election_monitor.ingest.interpret.interpret`) or
:class:`~election_monitor.ingest.records.RowError` (a line that could not be read, with file,
line and reason).

Guarantees of the readers (``election_monitor.ingest.readers``):

- streaming: memory does not grow with the file; one line (a block, for dumps) at a time;
- nothing is lost silently: every line is a record, an error, or counted as skipped (blank
  lines, the hourly CSV header) in :class:`~election_monitor.ingest.records.ReadStats`;
- one bad line never stops a file: it becomes a ``RowError`` and reading continues;
- every format is counted the same way, because one function interprets every record.

Kept free of imports so that importing a submodule stays cheap.
"""
