"""Reports stage: what the observers read — the briefing now; integrity reports and exports later.

Input: the stored constituencies, hourly statistics and alerts. Output: plain data objects
that the CLI, the dashboard and the report renderers all print the same way.
"""
