# Run through `odoo-bin shell` (provides env): create and post, through the
# ORM, copies of Bench Co's customer invoices until about DZ_ORM_LINES journal
# items exist; print the seconds taken and the journal items made. Rolls back.
import os
import time

from odoo import Command

target = int(os.environ.get("DZ_ORM_LINES", "5000"))
company = env["res.company"].search([("name", "=", "Bench Co")])
env = env(context=dict(env.context, allowed_company_ids=[company.id], tracking_disable=True))
invoices = env["account.move"].search(
    [("company_id", "=", company.id), ("state", "=", "posted"), ("move_type", "=", "out_invoice")]
)
values, items = [], 0
while items < target:
    for invoice in invoices:
        lines = invoice.invoice_line_ids
        values.append(
            {
                "move_type": "out_invoice",
                "partner_id": invoice.partner_id.id,
                "invoice_date": invoice.invoice_date,
                "journal_id": invoice.journal_id.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": line.product_id.id,
                            "name": line.name,
                            "quantity": line.quantity,
                            "price_unit": line.price_unit,
                            "tax_ids": [Command.set(line.tax_ids.ids)],
                            "analytic_distribution": line.analytic_distribution,
                        }
                    )
                    for line in lines
                ],
            }
        )
        items += len(invoice.line_ids)
        if items >= target:
            break
started = time.perf_counter()
moves = env["account.move"].create(values)
moves.action_post()
env.flush_all()
elapsed = time.perf_counter() - started
print(f"ORM_RESULT {elapsed:.3f} {len(moves.line_ids)} {len(moves)}")
env.cr.rollback()
