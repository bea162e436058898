# Run through `odoo-bin shell` (provides env). Builds the benchmark company (DZ_BENCH_COMPANY,
# "Bench Co" by default):
# realistic documents through the ORM, then copies of its journal entries in
# SQL until it holds DZ_BENCH_LINES journal items. Copies get fresh numbers
# (no "_12" suffixes) and no reconciliation, hash or payment links, so that
# they stay valid entries of their own.
import os

from odoo.addons.danger_zone.demo.sample_company import create_sample_company

target_lines = int(os.environ.get("DZ_BENCH_LINES", "300000"))
company_name = os.environ.get("DZ_BENCH_COMPANY", "Bench Co")
admin = env.ref("base.user_admin")
admin.groups_id |= env.ref("account.group_account_manager")
company = env["res.company"].search([("name", "=", company_name)]) or create_sample_company(
    env,
    company_name,
    admin,
    invoice_count=40,
)
cr = env.cr
cr.execute("SELECT count(*) FROM account_move_line WHERE company_id = %s", [company.id])
lines = cr.fetchone()[0]
cr.execute(
    "SELECT count(*) FROM account_move_line l JOIN account_move m ON m.id = l.move_id "
    "WHERE m.company_id = %s AND m.origin_payment_id IS NULL AND m.statement_line_id IS NULL",
    [company.id],
)
per_copy = cr.fetchone()[0]
copies = max(0, -(-(target_lines - lines) // per_copy))


def columns(table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [name for (name,) in cr.fetchall() if name not in skip]


move_cols = columns(
    "account_move",
    {
        "id",
        "name",
        "sequence_number",
        "origin_payment_id",
        "statement_line_id",
        "inalterable_hash",
        "secure_sequence_number",
        "reversed_entry_id",
        "payment_reference",
    },
)
line_cols = columns(
    "account_move_line",
    {
        "id",
        "move_id",
        "full_reconcile_id",
        "matching_number",
        "reconciled",
        "statement_line_id",
        "payment_id",
        "reconcile_model_id",
    },
)
if copies:
    cr.execute(
        """CREATE TEMP TABLE bench_map AS
                  SELECT m.id AS old_id, k, nextval('account_move_id_seq') AS new_id
                    FROM account_move m, generate_series(1, %s) k
                   WHERE m.company_id = %s AND m.origin_payment_id IS NULL AND m.statement_line_id IS NULL""",
        [copies, company.id],
    )
    quoted = ", ".join(f'm."{c}"' for c in move_cols)
    names = ", ".join(f'"{c}"' for c in move_cols)
    new_name = "CASE WHEN m.name = '/' THEN '/' ELSE m.sequence_prefix || lpad(b.new_id::text, 7, '0') END"
    cr.execute(f"""INSERT INTO account_move (id, name, sequence_number, {names})
                   SELECT b.new_id, {new_name}, b.new_id, {quoted}
                     FROM bench_map b JOIN account_move m ON m.id = b.old_id""")
    quoted = ", ".join(f'l."{c}"' for c in line_cols)
    names = ", ".join(f'"{c}"' for c in line_cols)
    cr.execute(f"""INSERT INTO account_move_line (move_id, reconciled, {names})
                   SELECT b.new_id, false, {quoted}
                     FROM bench_map b JOIN account_move_line l ON l.move_id = b.old_id""")
    cr.execute("""UPDATE account_move_line l SET move_name = m.name
                    FROM bench_map b JOIN account_move m ON m.id = b.new_id
                   WHERE l.move_id = b.new_id""")
# copies have no reconciliation: their residuals are their balances on the accounts that allow
# reconciliation, and their invoices unpaid, as Odoo would have them (a restore checks it)
reconcilable = "a.reconcile OR a.account_type IN ('asset_cash', 'liability_credit_card')"
cr.execute(
    f"""UPDATE account_move_line l
           SET amount_residual = CASE WHEN {reconcilable} THEN l.balance ELSE 0 END,
               amount_residual_currency = CASE WHEN {reconcilable} THEN l.amount_currency ELSE 0 END,
               reconciled = false
          FROM account_account a
         WHERE a.id = l.account_id AND l.company_id = %s
           AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile p
                            WHERE l.id IN (p.debit_move_id, p.credit_move_id))""",
    [company.id],
)
cr.execute(
    """UPDATE account_move m
          SET payment_state = 'not_paid', amount_residual = amount_total,
              amount_residual_signed = amount_total_signed
        WHERE m.company_id = %s AND m.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund')
          AND NOT EXISTS (SELECT 1 FROM account_move_line l JOIN account_partial_reconcile p
                                 ON l.id IN (p.debit_move_id, p.credit_move_id) WHERE l.move_id = m.id)""",
    [company.id],
)
cr.execute("SELECT count(*) FROM account_move_line WHERE company_id = %s", [company.id])
print(f"{company_name} (id {company.id}): {cr.fetchone()[0]} journal items")
env.cr.commit()  # odoo-bin shell rolls back otherwise
