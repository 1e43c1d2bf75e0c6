"""The report's words in English and Russian (one table; a missing key is a test failure)."""

from __future__ import annotations

from collections.abc import Callable

from election_monitor.exceptions import InvalidInputError

LANGUAGES = ("en", "ru")

STRINGS: dict[str, dict[str, str]] = {
    "report_title": {"en": "Election integrity report", "ru": "Отчёт о целостности выборов"},
    "shift_title": {"en": "Shift hand-over", "ru": "Передача смены"},
    "no_data": {
        "en": "No data: no transaction has been loaded for this election and scope. "
        "Every figure below is zero.",
        "ru": "Нет данных: для этих выборов и этой выборки не загружено ни одной транзакции. "
        "Все показатели ниже равны нулю.",
    },
    "scope": {"en": "Scope", "ru": "Охват"},
    "election": {"en": "Election", "ru": "Выборы"},
    "election_period": {"en": "Voting period", "ru": "Период голосования"},
    "report_period": {"en": "Period of this report", "ru": "Период отчёта"},
    "whole_election": {"en": "the whole election", "ru": "все выборы"},
    "data_horizon": {
        "en": "Data horizon (newest data)",
        "ru": "Горизонт данных (последние данные)",
    },
    "constituencies": {"en": "Constituencies", "ru": "Округа"},
    "filters": {"en": "Filters", "ru": "Фильтры"},
    "none": {"en": "none", "ru": "нет"},
    "files_loaded": {"en": "Files loaded", "ru": "Загруженные файлы"},
    "file": {"en": "File", "ru": "Файл"},
    "format": {"en": "Format", "ru": "Формат"},
    "rows_inserted": {"en": "Rows inserted", "ru": "Строк загружено"},
    "rows_duplicate": {"en": "Duplicates", "ru": "Дубликатов"},
    "rows_rejected": {"en": "Rejected", "ru": "Отклонено"},
    "rejected_by_reason": {"en": "Rejected rows by reason", "ru": "Отклонённые строки по причинам"},
    "national": {"en": "National figures", "ru": "Общие показатели"},
    "regional": {"en": "Regional figures", "ru": "Показатели по регионам"},
    "region": {"en": "Region", "ru": "Регион"},
    "registered": {"en": "Registered voters", "ru": "Зарегистрировано избирателей"},
    "listed": {"en": "Voters listed on chain", "ru": "Избирателей в списках в блокчейне"},
    "bulletins": {"en": "Bulletins issued", "ru": "Выдано бюллетеней"},
    "votes": {"en": "Votes cast", "ru": "Проголосовало"},
    "rejected_votes": {"en": "Rejected votes", "ru": "Отклонённых голосов"},
    "participation": {"en": "Participation", "ru": "Явка"},
    "denominator": {"en": "Denominator", "ru": "Знаменатель"},
    "denominator_note": {
        "en": "Participation = votes cast (unique voter keys with an accepted vote) / registered "
        "voters; where the registry gives none, the voters listed on the chain.",
        "ru": "Явка = число проголосовавших (уникальные ключи с принятым голосом) / число "
        "зарегистрированных избирателей; если реестр его не даёт — число избирателей в "
        "списках в блокчейне.",
    },
    "hourly_curve": {"en": "Hourly national curve", "ru": "Почасовая кривая"},
    "hour_utc": {"en": "Hour (UTC)", "ru": "Час (UTC)"},
    "ranking": {
        "en": "Constituencies ranked by anomaly score",
        "ru": "Округа по убыванию индекса аномальности",
    },
    "constituency": {"en": "Constituency", "ru": "Округ"},
    "status": {"en": "Status", "ru": "Статус"},
    "score": {"en": "Score", "ru": "Индекс"},
    "top_contributions": {"en": "Top contributions", "ru": "Основные вклады"},
    "alerts": {"en": "Alerts", "ru": "Предупреждения"},
    "alerts_intro": {
        "en": "Every alert not dismissed as false (withdrawn by detection), most severe first. "
        "Stated: {stated} of {total}; dismissed: {dismissed}.",
        "ru": "Все предупреждения, кроме отозванных как ложные, начиная с наиболее серьёзных. "
        "Приведено: {stated} из {total}; отозвано: {dismissed}.",
    },
    "no_alerts": {"en": "No alert in this scope.", "ru": "В этой выборке предупреждений нет."},
    "severity": {"en": "Severity", "ru": "Важность"},
    "type": {"en": "Type", "ru": "Тип"},
    "evidence": {"en": "Evidence", "ru": "Доказательства"},
    "notes": {"en": "Notes", "ru": "Заметки"},
    "handled_by": {"en": "Handled by", "ru": "Кто работал"},
    "assigned_to": {"en": "Assigned to", "ru": "Назначено"},
    "nobody": {"en": "nobody yet", "ru": "пока никто"},
    "chart_title": {"en": "Hourly bulletins and votes", "ru": "Бюллетени и голоса по часам"},
    "method": {"en": "Method", "ru": "Метод"},
    "method_text": {
        "en": "Every transaction of the voting contracts was loaded from the files listed above; "
        "each row ended as inserted, duplicate or rejected with its reason. A vote counts when "
        "the contract accepted it; votes count unique voter keys and bulletins count voters. "
        "Exact rules (votes above bulletins, turnout above the register, repeated votes, votes "
        "outside the window, results that disagree, reused transaction ids, time running "
        "backwards) are checks of arithmetic, never statistics. Statistical rules compare each "
        "hour with an expected count: the constituency's own level, restarted each local day, "
        "times its register, times the daily rhythm of its type in local time, times its "
        "region's current pace; the noise is negative binomial. An hour is flagged only when "
        "its p-value survives the Benjamini-Hochberg correction over all hours tested, so the "
        "share of false flags among flags is controlled. Each constituency's anomaly score "
        "sums the evidence of each rule family.",
        "ru": "Все транзакции смарт-контрактов голосования загружены из перечисленных выше "
        "файлов; каждая строка либо загружена, либо признана дубликатом, либо отклонена с "
        "указанием причины. Голос учитывается, если контракт его принял; голоса считаются по "
        "уникальным ключам избирателей, бюллетени — по избирателям. Точные правила (голосов "
        "больше, чем бюллетеней, явка выше числа избирателей, повторные голоса, голоса вне "
        "периода, расхождение результатов, повторное использование идентификатора, время назад) "
        "— арифметические проверки, а не статистика. Статистические правила сравнивают каждый "
        "час с ожидаемым числом: собственный уровень округа (с начала каждых местных суток) × "
        "число избирателей × суточный ритм его типа по местному времени × текущий темп региона; "
        "шум — отрицательное биномиальное распределение. Час отмечается, только если его "
        "p-значение проходит поправку Бенджамини-Хохберга по всем проверенным часам, так что "
        "доля ложных отметок ограничена. Индекс аномальности суммирует доказательства семейств "
        "правил.",
    },
    "settings": {"en": "Detection settings", "ru": "Настройки обнаружения"},
    "limits": {"en": "Limits", "ru": "Ограничения"},
    "limits_text": {
        "en": "Hourly counts show how many bulletins and votes arrived, not who voted or for "
        "whom: bulletins and votes are unlinkable by design, so 'votes within bulletins' holds "
        "per constituency in aggregate only. Timestamps are set by the sender, not the block. "
        "A statistical alert is a reason to look, not proof of fraud; an hour that looks normal "
        "can still hide a substitution that keeps the counts unchanged. Figures are as of the "
        "data horizon; files loaded later can change them.",
        "ru": "Почасовые данные показывают, сколько бюллетеней и голосов поступило, но не кто и "
        "за кого голосовал: бюллетени и голоса по построению не связаны, поэтому условие "
        "«голосов не больше бюллетеней» проверяется только в целом по округу. Время ставит "
        "отправитель, а не блок. Статистическое предупреждение — повод для проверки, а не "
        "доказательство фальсификации; нормальный на вид час может скрывать подмену, не "
        "меняющую счёт. Показатели даны на горизонт данных; файлы, загруженные позже, могут их "
        "изменить.",
    },
    "reproduce": {"en": "How to check this report", "ru": "Как проверить этот отчёт"},
    "reproduce_text": {
        "en": "The manifest below lists the SHA-256 of every input file, the software version, "
        "the detection settings, the database's row counts and a digest of every figure stated. "
        "Anyone can run: elmon report verify THIS-REPORT --data FOLDER-WITH-THE-FILES",
        "ru": "В манифесте ниже указаны SHA-256 каждого входного файла, версия программы, "
        "настройки обнаружения, число строк в базе и хеш всех приведённых показателей. Любой "
        "может выполнить: elmon report verify ОТЧЁТ --data ПАПКА-С-ФАЙЛАМИ",
    },
    "figures_digest": {"en": "Figures digest (SHA-256)", "ru": "Хеш показателей (SHA-256)"},
    "software": {"en": "Software", "ru": "Программа"},
    "row_counts": {"en": "Database row counts", "ru": "Число строк в базе"},
    "page": {"en": "page", "ru": "стр."},
    # shift hand-over
    "shift_period": {"en": "Shift", "ru": "Смена"},
    "new_alerts": {"en": "New alerts", "ru": "Новые предупреждения"},
    "escalated": {"en": "Escalated", "ru": "Повышена важность"},
    "resolved": {"en": "Resolved", "ru": "Закрыты"},
    "snoozes_expiring": {"en": "Snoozes expiring", "ru": "Истекающие отсрочки"},
    "gone_offline": {"en": "Constituencies gone offline", "ru": "Округа без связи"},
    "who_did_what": {"en": "Who did what", "ru": "Кто что сделал"},
    "at": {"en": "At (UTC)", "ru": "Время (UTC)"},
    "actor": {"en": "Who", "ru": "Кто"},
    "action": {"en": "Action", "ru": "Действие"},
    "title": {"en": "Title", "ru": "Заголовок"},
    "until": {"en": "Until", "ru": "До"},
    "nothing": {"en": "nothing", "ru": "нет"},
}


def check_language(lang: str) -> str:
    """``lang`` if supported; otherwise a clear error."""
    if lang not in LANGUAGES:
        raise InvalidInputError(f"language must be one of {list(LANGUAGES)}, got {lang!r}")
    return lang


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``."""
    check_language(lang)

    def t(key: str, **values: object) -> str:
        text = STRINGS[key][lang]
        return text.format(**values) if values else text

    return t
