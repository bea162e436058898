# Run through `odoo-bin shell` (provides env): create and post, through the
# ORM, copies of Bench Co's journal entries until DZ_ORM_LINES journal items
# exist; print the seconds taken and the items made. The benchmark rolls back.
import os
import time

from odoo import Command

target = int(os.environ.get("DZ_ORM_LINES", "5000"))
company = env["res.company"].search([("name", "=", "Bench Co")])
env = env(context=dict(env.context, allowed_company_ids=[company.id], tracking_disable=True))
sources = env["account.move"].search(
    [
        ("company_id", "=", company.id),
        ("state", "=", "posted"),
        ("move_type", "=", "entry"),
        ("origin_payment_id", "=", False),
        ("statement_line_id", "=", False),
    ],
    limit=max(1, target // 2),
)
values, items = [], 0
for move in sources:
    if items >= target:
        break
    lines = [
        Command.create(
            {
                "account_id": line.account_id.id,
                "partner_id": line.partner_id.id,
                "name": line.name,
                "debit": line.debit,
                "credit": line.credit,
            }
        )
        for line in move.line_ids
    ]
    values.append(
        {"move_type": "entry", "journal_id": move.journal_id.id, "date": move.date, "line_ids": lines}
    )
    items += len(lines)
started = time.perf_counter()
env["account.move"].create(values).action_post()
env.flush_all()
print(f"ORM_RESULT {time.perf_counter() - started:.3f} {items} {len(values)}")
env.cr.rollback()
