"""Metrics stage: hourly statistics and constituency totals, recomputed in SQL for exactly
the (constituency, hour) buckets a batch touched.

Input: the stored transactions and contract events. Output: ``hourly_stats`` rows (one per
constituency and UTC hour, upserted) and the totals on ``constituencies``. Guarantee: the same
numbers whether the data arrived in one file or many, in any order.
"""
