# Run through `odoo-bin shell` (provides env). Builds the benchmark company (DZ_BENCH_COMPANY,
# "Bench Co" by default): realistic documents through the ORM, the sample company's and more
# varied ones (a second currency whose rate moves, so that payments make exchange
# differences; analytic distributions over two plans; a payment of several invoices; partial
# payments; a reversal), then copies of its whole journal in SQL until it holds DZ_BENCH_LINES
# journal items. A copy keeps what links its rows (payments, partial and full
# reconciliations, exchange differences, reversals, analytic lines, taxes and tags), each
# pointing to the copy's own rows; its entries get fresh numbers.
import os
from datetime import date, timedelta

from odoo import Command

from odoo.addons.danger_zone.demo.sample_company import create_sample_company, post_move

target_lines = int(os.environ.get("DZ_BENCH_LINES", "300000"))
company_name = os.environ.get("DZ_BENCH_COMPANY", "Bench Co")

# table -> its rows that a copy holds (the company's journal and what hangs on it)
COMPANY_ITEMS = "SELECT {} FROM account_move_line WHERE company_id = %(company)s"
COPIED = {
    "account_move": "company_id = %(company)s",
    "account_move_line": "company_id = %(company)s",
    "account_payment": "company_id = %(company)s",
    "account_partial_reconcile": "company_id = %(company)s",
    "account_full_reconcile": f"id IN ({COMPANY_ITEMS.format('full_reconcile_id')})",
    "account_analytic_line": f"move_line_id IN ({COMPANY_ITEMS.format('id')})",
}
# the relation tables copied with them: an invoice's payments, a journal item's taxes and tags
LINKS = (
    "account_move__account_payment",
    "account_move_line_account_tax_rel",
    "account_account_tag_account_move_line_rel",
)
# columns whose copy is not the original's value (c: the copy's ids, t: the original row;
# <column>.new_id: the copy of the row a column points to)
COPIED_VALUES = {
    ("account_move", "name"): "CASE WHEN t.name = '/' THEN '/' "
    "ELSE coalesce(t.sequence_prefix, '') || lpad(c.new_id::text, 7, '0') END",
    ("account_move", "sequence_number"): "c.new_id",
    ("account_move", "inalterable_hash"): "NULL",
    ("account_move", "secure_sequence_number"): "NULL",
    ("account_move_line", "matching_number"): "CASE WHEN t.full_reconcile_id IS NOT NULL "
    "THEN full_reconcile_id.new_id::text WHEN t.matching_number LIKE 'P%' "
    "THEN 'P' || (SELECT p.new_id FROM copy_account_partial_reconcile p "
    "WHERE p.old_id = substr(t.matching_number, 2)::int AND p.k = c.k) ELSE t.matching_number END",
}


def add_varied_documents(env, company):
    """What the sample company's documents lack: a second currency, two analytic plans, a
    payment of several invoices, partial and foreign payments with exchange differences, a
    reversed invoice, a miscellaneous entry."""
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    today = date.today()
    foreign = (
        env["res.currency"]
        .with_context(active_test=False)
        .search([("name", "=", "USD" if company.currency_id.name == "EUR" else "EUR")])
    )
    foreign.active = True
    env["res.currency.rate"].create(
        [
            {"currency_id": foreign.id, "company_id": company.id, "name": day, "rate": rate}
            for day, rate in ((today - timedelta(days=90), 0.9), (today - timedelta(days=20), 0.95))
        ]
    )
    partners = env["res.partner"].search([("company_id", "=", company.id)])
    customers = partners.filtered(lambda partner: "Customer" in partner.name)
    vendor = partners.filtered(lambda partner: "Supplier" in partner.name)[:1]
    products = env["product.product"].search([("company_id", "=", company.id)])
    distributions = analytic_distributions(env, company)

    def invoice(move_type, partner, days_ago, price, currency=None, distribution=None):
        invoice_date = today - timedelta(days=days_ago)
        return post_move(env, move_type, partner, products, invoice_date, price, distribution, currency)

    def pay(moves, days_ago, **values):
        Register = env["account.payment.register"]
        wizard = Register.with_context(active_model="account.move", active_ids=moves.ids)
        return wizard.create(dict(values, payment_date=today - timedelta(days=days_ago)))._create_payments()

    foreign_invoices = [
        invoice("out_invoice", customers[index % 3], 60 - index, 90 + index, foreign, distribution)
        for index, distribution in enumerate(distributions * 3)
    ]
    pay(foreign_invoices[0], 5)  # in full, at a later rate: an exchange difference
    pay(foreign_invoices[1], 4, amount=foreign_invoices[1].amount_total / 3)  # partly, foreign currency
    pay(foreign_invoices[2], 3, currency_id=company.currency_id.id, amount=50.0)  # partly, the company's
    grouped = env["account.move"]
    for days_ago in (40, 39, 38):
        grouped |= invoice("out_invoice", customers[0], days_ago, 70, distribution=distributions[0])
    pay(grouped, 30, group_payment=True)  # one payment for three invoices
    foreign_bill = invoice("in_invoice", vendor, 45, 30.0, foreign, distributions[1])
    pay(foreign_bill, 2)
    reversed_invoice = invoice("out_invoice", customers[1], 15, 55.0)
    reversed_invoice._reverse_moves([{"invoice_date": today - timedelta(days=14)}], cancel=True)
    miscellaneous_entry(env, company, distributions[1])


def analytic_distributions(env, company):
    """Two distributions: one split over two projects, one over a project and a department."""
    alpha = env["account.analytic.account"].search([("company_id", "=", company.id)], limit=1)
    beta = env["account.analytic.account"].create(
        {"name": "Project Beta", "plan_id": alpha.plan_id.id, "company_id": company.id}
    )
    departments = env["account.analytic.plan"].create({"name": f"Departments ({company.name})"})
    sales = env["account.analytic.account"].create(
        {"name": "Sales department", "plan_id": departments.id, "company_id": company.id}
    )
    return [{str(alpha.id): 60.0, str(beta.id): 40.0}, {f"{alpha.id},{sales.id}": 100.0}]


def miscellaneous_entry(env, company, distribution):
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "general")], limit=1
    )
    expense = env["account.account"].search(
        [("company_ids", "in", company.id), ("account_type", "=", "expense")], limit=1
    )
    payable = env["account.account"].search(
        [("company_ids", "in", company.id), ("account_type", "=", "liability_current")], limit=1
    )
    entry = env["account.move"].create(
        {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": date.today() - timedelta(days=8),
            "line_ids": [
                Command.create(
                    {"account_id": expense.id, "debit": 120.0, "analytic_distribution": distribution}
                ),
                Command.create({"account_id": payable.id, "credit": 120.0}),
            ],
        }
    )
    entry.action_post()


def table_columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [name for (name,) in cr.fetchall()]


def copied_references(cr, table):
    """Column of ``table`` -> the copied table it points to (from the foreign keys)."""
    cr.execute(
        """SELECT a.attname, c.confrelid::regclass::text
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass""",
        [table],
    )
    return {column: target for column, target in cr.fetchall() if target in COPIED}


def copy_journal(cr, company_id, copies):
    """Copy the company's journal ``copies`` times: new ids for every copied row first (a
    table ``copy_<table>``: old_id, k, new_id), then the rows, their references remapped."""
    for table, where in COPIED.items():
        cr.execute(
            f"""CREATE TEMP TABLE copy_{table} AS
                SELECT old_id, k, nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id
                  FROM (SELECT t.id AS old_id, k FROM {table} t, generate_series(1, %(copies)s) k
                         WHERE {where} ORDER BY k, t.id) ordered""",
            {"company": company_id, "copies": copies},
        )
        cr.execute(f"CREATE INDEX ON copy_{table} (old_id, k); ANALYZE copy_{table}")
    cr.execute("SET LOCAL session_replication_role = replica")  # rows point to each other both ways
    for table in COPIED:
        references = copied_references(cr, table)
        columns = [column for column in table_columns(cr, table) if column != "id"]
        values = [
            f"{column}.new_id"
            if column in references
            else COPIED_VALUES.get((table, column), f't."{column}"')
            for column in columns
        ]
        joins = "".join(
            f' LEFT JOIN copy_{target} "{column}" ON "{column}".old_id = t."{column}" AND "{column}".k = c.k'
            for column, target in references.items()
        )
        names = ", ".join(f'"{column}"' for column in columns)
        cr.execute(
            f"INSERT INTO {table} (id, {names}) SELECT c.new_id, {', '.join(values)} "
            f"FROM copy_{table} c JOIN {table} t ON t.id = c.old_id{joins}"
        )
    for link in LINKS:
        copy_links(cr, link)
    cr.execute("SET LOCAL session_replication_role = origin")
    cr.execute("""UPDATE account_move_line l SET move_name = m.name
                    FROM copy_account_move c JOIN account_move m ON m.id = c.new_id
                   WHERE l.move_id = c.new_id""")
    cr.execute("""UPDATE account_payment p SET name = m.name
                    FROM copy_account_payment c, account_move m
                   WHERE p.id = c.new_id AND m.id = p.move_id""")


def copy_links(cr, link):
    """The rows of a relation table between copied rows, or from a copied row to another."""
    references = copied_references(cr, link)
    columns = table_columns(cr, link)
    first, *others = references
    values = [f'"{column}".new_id' if column in references else f't."{column}"' for column in columns]
    joins = f' JOIN copy_{references[first]} "{first}" ON "{first}".old_id = t."{first}"' + "".join(
        f' JOIN copy_{references[column]} "{column}" ON "{column}".old_id = t."{column}"'
        f' AND "{column}".k = "{first}".k'
        for column in others
    )
    names = ", ".join(f'"{column}"' for column in columns)
    cr.execute(f"INSERT INTO {link} ({names}) SELECT {', '.join(values)} FROM {link} t{joins}")


admin = env.ref("base.user_admin")
admin.groups_id |= env.ref("account.group_account_manager")
company = env["res.company"].search([("name", "=", company_name)])
if not company:
    company = create_sample_company(env, company_name, admin, invoice_count=40)
    add_varied_documents(env, company)
    env.flush_all()
cr = env.cr
cr.execute(
    "SELECT count(*) FROM account_move WHERE company_id = %s AND statement_line_id IS NOT NULL", [company.id]
)
if cr.fetchone()[0]:
    raise SystemExit(f"{company_name} has bank statements: copies of its entries would share them")
cr.execute("SELECT count(*) FROM account_move_line WHERE company_id = %s", [company.id])
lines = cr.fetchone()[0]
copies = max(0, -(-(target_lines - lines) // lines))
if copies:
    copy_journal(cr, company.id, copies)
cr.execute("SELECT count(*) FROM account_move_line WHERE company_id = %s", [company.id])
print(f"{company_name} (id {company.id}): {cr.fetchone()[0]} journal items")
env.cr.commit()  # odoo-bin shell rolls back otherwise
