"""Read models shared by the API and the web pages (no FastAPI here): filtered, sorted and
paginated lists, the per-election summary, and hourly series shaped for charts.

Input: the stored tables. Output: ORM rows with a total count, or schemas from
``dashboard.schemas``. Guarantee: a web page and its JSON twin call the same function, so they
always show the same numbers.
"""
