"""Numbers of posted journal entries that match their dates, as Odoo's sequence mixin has
them (``_constrains_date_sequence``), checked on the entries of a file from elsewhere.

A number that holds a year (and a month) must hold its entry's: INV/2026/00001 dated in 2025
is one Odoo refuses ("isn't aligned with the existing sequence number"). The number is read
as Odoo reads it (``_deduce_sequence_number_reset``), with the same regular expressions, those
a journal overrides included; a fiscal-year number (2025-2026) is read against this company's
fiscal year. Odoo leaves out entries in quick-edit journals and dates up to the
``sequence.mixin.constraint_start_date`` parameter: so does this check.
"""

import re
from datetime import date

from odoo import fields
from odoo.tools import date_utils

# Odoo's order, the most specific format first: (reset, regular expression, groups it needs)
FORMATS = (
    ("year_range_month", "_sequence_year_range_monthly_regex", ("seq", "year", "year_end", "month")),
    ("month", "_sequence_monthly_regex", ("seq", "month", "year")),
    ("year_range", "_sequence_year_range_regex", ("seq", "year", "year_end")),
    ("year", "_sequence_yearly_regex", ("seq", "year")),
    ("never", "_sequence_fixed_regex", ("seq",)),
)
QUICK_EDIT = {  # journal type -> the company's quick edit modes that leave its entries out
    "sale": ("out_invoices", "out_and_in_invoices"),
    "purchase": ("in_invoices", "out_and_in_invoices"),
}


class SequenceDates:
    def __init__(self, env, company, journal_types):
        self.env = env
        self.journal_types = journal_types  # journal id -> its type, as the file describes them
        Move = env["account.move"]  # empty: its regular expressions are the default ones
        self.default_formats = [
            (reset, re.compile(getattr(Move, name)), needs) for reset, name, needs in FORMATS
        ]
        self.journal_formats = {}  # journal id -> formats of the expression it overrides them with
        self.fiscal_year_end = {
            "day": company.fiscalyear_last_day,
            "month": int(company.fiscalyear_last_month),
        }
        self.quick_edit = company.quick_edit_mode
        self.start = fields.Date.to_date(
            env["ir.config_parameter"].sudo().get_param("sequence.mixin.constraint_start_date", "1970-01-01")
        )
        self.quick_edit_types = {kind for kind, modes in QUICK_EDIT.items() if self.quick_edit in modes}
        self.later = []  # (id, number, date, journal) of the posted entries met before their journal
        self.faults = {}  # entry id -> reason
        self.fiscal_years = {}  # date -> (first year, last year) of its fiscal year

    def add_journals(self, ids, overrides):
        for journal_id, regex in zip(ids, overrides, strict=True):
            if isinstance(regex, str) and regex:
                regex = re.compile(regex)
                self.journal_formats[journal_id] = [(reset, regex, needs) for reset, _name, needs in FORMATS]

    def add_entries(self, ids, states, names, dates, journals):
        for move_id, state, name, day, journal_id in zip(ids, states, names, dates, journals, strict=True):
            if state == "posted" and isinstance(name, str) and isinstance(day, str):
                if journal_id in self.journal_types:
                    self._check(move_id, name, day, journal_id)
                else:
                    self.later.append((move_id, name, day, journal_id))

    def all_faults(self):
        """{entry id: reason} of the posted entries whose number does not match the date."""
        for entry in self.later:
            self._check(*entry)
        self.later = []
        return self.faults

    def _check(self, move_id, name, day, journal_id):
        day = date.fromisoformat(day)
        if day <= self.start or self.journal_types.get(journal_id) in self.quick_edit_types:
            return
        formats = self.journal_formats.get(journal_id, self.default_formats)
        if not self._matches(name, day, formats):
            self.faults[move_id] = self.env._(
                "its number %(name)s is not of its date %(date)s, as its journal's sequence has it",
                name=name,
                date=day.isoformat(),
            )

    def _matches(self, name, day, formats):
        """Odoo's _sequence_matches_date, on a number and a date."""
        found = _read_number(name, formats)
        if found is None:
            return False  # Odoo refuses a number of no format it knows
        reset, values = found
        year, year_end, month = (int(values.get(part) or 0) for part in ("year", "year_end", "month"))
        first, last = self._years(reset, day)
        return (
            (not year or _year_is(year, first))
            and (not year_end or _year_is(year_end, last))
            and (not month or month == day.month)
        )

    def _years(self, reset, day):
        """The first and last years of the range that the sequence of an entry of ``day`` covers
        (Odoo's _get_sequence_date_range: a fiscal year for a year range)."""
        if reset in ("year", "month"):
            return day.year, day.year
        if reset == "never":
            return 1, 9999
        if day not in self.fiscal_years:
            start, end = date_utils.get_fiscal_year(day, **self.fiscal_year_end)
            self.fiscal_years[day] = (start.year, end.year)
        return self.fiscal_years[day]


def _read_number(name, formats):
    """(reset, groups) of the first format that reads ``name`` whole (Odoo's
    _deduce_sequence_number_reset), or None."""
    for reset, regex, needs in formats:
        match = regex.match(name)
        if not match:
            continue
        groups = match.groupdict()
        if groups.get("year_end") and groups.get("year") and not _range_of_one_year(groups):
            continue
        if all(groups.get(need) is not None for need in needs):
            return reset, groups
    return None


def _range_of_one_year(groups):
    year, year_end = groups["year"], groups["year_end"]
    return len(year) >= len(year_end) and (int(year) + 1) % 10 ** len(year_end) == int(year_end)


def _year_is(value, year):
    """Odoo's _year_match: a year written with fewer digits is the year's last digits."""
    return value == year % 10 ** len(str(value))
