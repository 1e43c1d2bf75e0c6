"""Languages: English (the source strings) and Russian (a Babel ``.po`` catalog compiled in
memory at first use, so ``make install`` is all a deployment needs)."""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from election_monitor.timeutil import ensure_utc

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "elmon_lang"


def pick_language(cookie: str | None, accept: str | None) -> str:
    """The cookie's language if known, else the first known one the browser accepts."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (English needs none)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, UTC when unnamed or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Formatter:
    """Numbers and times in the reader's locale; times in a given zone, with the zone named."""

    def __init__(self, language: str) -> None:
        self.language = language

    def number(self, value: float | int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.language)

    def percent(self, value: float | None) -> str:
        """``value`` in percent (25.0 → 25 %)."""
        if value is None:
            return "—"
        return format_percent(value / 100.0, format="#,##0.0%", locale=self.language)

    def time(self, value: datetime | None, zone_name: str | None = None) -> str:
        if value is None:
            return "—"
        tz = zone(zone_name)
        local = ensure_utc(value).astimezone(tz)
        text = format_datetime(local, "medium", tzinfo=tz, locale=self.language)
        return f"{text} ({tz.key})"
