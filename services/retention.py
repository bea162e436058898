"""How long a company's daily backups are kept: the last days, and the newest backup of each of
the last weeks and months (grandfather-father-son).

A backup holds a role while it is the newest of its week (or month), and keeps it until that
week is no longer among the last ``weeks`` weeks. Each run of the expiry recomputes the roles
from the backups that are still there, so a backup that a newer one of the same week replaced
loses its weekly role then.
"""

from datetime import datetime, timedelta


def kept_until(created, days, weeks=0, months=0):
    """{creation datetime: end of its retention} for one company's daily backups ``created``.

    >>> def day(text):
    ...     return datetime.fromisoformat(text)
    >>> ends = kept_until([day("2026-03-02"), day("2026-03-04"), day("2026-03-09")], 3, weeks=2)
    >>> [str(ends[day(text)]) for text in ("2026-03-02", "2026-03-04", "2026-03-09")]
    ['2026-03-05 00:00:00', '2026-03-16 00:00:00', '2026-03-23 00:00:00']
    >>> str(kept_until([day("2026-01-31 23:00")], 1, months=2)[day("2026-01-31 23:00")])
    '2026-03-01 00:00:00'
    """
    ends = {moment: moment + timedelta(days=days) for moment in created}
    for start, length in ((_week_start, weeks), (_month_start, months)):
        if not length:
            continue
        newest = {}
        for moment in created:
            period = start(moment)
            if moment > newest.get(period, datetime.min):
                newest[period] = moment
        for period, moment in newest.items():
            ends[moment] = max(ends[moment], _after(period, start, length))
    return ends


def set_expiry(records, moment_field):
    """Set the ``expires_at`` of each record (backups, copies) from its company's retention,
    computed over that company's ``records`` by their datetime field ``moment_field``."""
    for company, company_records in records.grouped("company_id").items():
        ends = kept_until(
            company_records.mapped(moment_field),
            company.danger_zone_backup_retention_days,
            company.danger_zone_backup_keep_weeks,
            company.danger_zone_backup_keep_months,
        )
        for record in company_records:
            if record.expires_at != ends[record[moment_field]]:
                record.expires_at = ends[record[moment_field]]


def _week_start(moment):
    return datetime(moment.year, moment.month, moment.day) - timedelta(days=moment.weekday())


def _month_start(moment):
    return datetime(moment.year, moment.month, 1)


def _after(period, start, count):
    """The start of the period ``count`` periods after ``period``."""
    if start is _week_start:
        return period + timedelta(weeks=count)
    month = period.month - 1 + count
    return datetime(period.year + month // 12, month % 12 + 1, 1)
