"""The words of notification e-mails in each language (EN, RU), by key."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "raised": "raised",
        "escalated": "escalated",
        "reopened": "reopened",
        "resolved": "resolved",
        "assigned": "assigned",
        "repeat": "still unresolved",
        "firing": "changed",
        "alerts": "alerts",
        "alert": "alert",
        "constituency": "Constituency",
        "severity": "Severity",
        "status": "Status",
        "type": "Type",
        "region": "Region",
        "detected": "Detected",
        "more": "and {n} more",
        "footer": "Sent by the Election Monitoring System (elmon). Delivery {key}.",
        "critical": "critical",
        "warning": "warning",
        "info": "info",
    },
    "ru": {
        "raised": "новые",
        "escalated": "повышена важность",
        "reopened": "открыты снова",
        "resolved": "закрыты",
        "assigned": "назначены",
        "repeat": "всё ещё не закрыты",
        "firing": "изменились",
        "alerts": "оповещения",
        "alert": "оповещение",
        "constituency": "Округ",
        "severity": "Важность",
        "status": "Статус",
        "type": "Тип",
        "region": "Регион",
        "detected": "Обнаружено",
        "more": "и ещё {n}",
        "footer": "Отправлено системой наблюдения за выборами (elmon). Доставка {key}.",
        "critical": "критическая",
        "warning": "предупреждение",
        "info": "информация",
    },
}


def texts(language: str) -> dict[str, str]:
    """The words for ``language`` (English when it is not one we speak)."""
    return TEXTS.get(language, TEXTS["en"])
