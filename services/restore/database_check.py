"""The third phase of a restore's check: this database and company against the file (currency,
merge conflicts, lock dates). The file's natural keys are resolved before (``keys.py``)."""

from odoo import fields as odoo_fields

LOCK_DATE_FIELDS = (
    "fiscalyear_lock_date",
    "tax_lock_date",
    "sale_lock_date",
    "purchase_lock_date",
    "hard_lock_date",
)


class DatabaseCheck:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.company = context.company

    def run(self):
        report = self.context.report
        self._check_currency(report)
        report.conflicts = self._merge_conflicts() if self.context.mode == "merge" else []
        report.errors += report.conflicts
        report.lock_dates = self._check_lock_dates(report)

    def _check_currency(self, report):
        source = self.context.manifest["source"].get("currency")
        target = self.company.currency_id.name
        report.currency = {"backup": source, "company": target}
        if source != target:
            report.errors.append(
                self.env._(
                    "The backup's currency is %(backup)s but this company's is %(company)s.",
                    backup=source,
                    company=target,
                )
            )

    def _merge_conflicts(self):
        """Journal and account codes of the backup that this company already uses."""
        conflicts = []
        checks = (
            ("account.journal", "code", "code", [("company_id", "=", self.company.id)]),
            ("account.account", "code_store", "code", [("company_ids", "in", self.company.id)]),
        )
        for model, stored, shown, domain in checks:
            if not self.context.member(model):
                continue
            codes = {record.get(stored) for record in self.context.records(model)} - {None}
            existing = set(self.env[model].with_company(self.company).search(domain).mapped(shown))
            label = self.env[model]._description
            conflicts += [
                self.env._("%(kind)s %(code)s already exists in this company.", kind=label, code=code)
                for code in sorted(codes & existing)
            ]
        return conflicts

    def _check_lock_dates(self, report):
        company_values = {
            name: self.company[name] for name in LOCK_DATE_FIELDS if name in self.company._fields
        }
        locked = max((value for value in company_values.values() if value), default=None)
        if locked and self.context.member("account.move"):
            before = sum(
                1
                for record in self.context.records("account.move")
                if record.get("date") and record["date"] <= odoo_fields.Date.to_string(locked)
            )
            if before:
                report.warnings.append(
                    self.env._(
                        "%(count)s entries of the backup are dated on or before the lock date %(date)s.",
                        count=before,
                        date=locked,
                    )
                )
        return {
            name: odoo_fields.Date.to_string(value) if value else None
            for name, value in company_values.items()
        }
