"""Build a company holding realistic business data, through the ORM only.

Used by the tests and by the README's run command (scripts/demo_data.py).
It imports nothing from odoo.tests, so that a running server may import it.
"""

from datetime import date, timedelta

from odoo import Command

CUSTOMER_NOTE = "The customer asked for delivery next week."


def create_sample_company(env, name, owner, invoice_count=4):
    """Create company ``name`` as ``owner`` and fill it; return the company.

    It holds: a generic chart of accounts, tagged contacts with bank
    accounts, products with a category and variants, an analytic plan,
    posted invoices (analytic distribution on their lines) and bills, a
    credit note, full and partial payments matched to them, chatter and an
    activity.
    """
    company = env["res.company"].with_user(owner).create({"name": name})
    owner.sudo().write({"company_ids": [Command.link(company.id)]})
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    customers, vendor = _create_contacts(env, company)
    products = _create_products(env, company)
    analytic = _create_analytic_account(env, company)
    invoices = _create_invoices(env, company, customers, products, analytic, invoice_count)
    bill = post_move(env, "in_invoice", vendor, products[:1], date.today() - timedelta(days=20), 40.0)
    refund = post_move(env, "out_refund", customers[0], products[:1], date.today() - timedelta(days=5), 30.0)
    _register_payment(invoices[0])  # full
    _register_payment(invoices[1], amount=invoices[1].amount_total / 2)  # partial
    _register_payment(bill)
    _reconcile_refund(invoices[2], refund)
    _add_chatter(invoices[0], owner)
    if "sale.order" in env:
        _create_sale(env, customers[1], products)
    if "purchase.order" in env:
        _create_purchase(env, vendor, products)
    if "hr.expense" in env:
        _create_expense(env, company, owner)
    return company


def _create_contacts(env, company):
    tag = env["res.partner.category"].create({"name": f"Key account ({company.name})"})
    customers = env["res.partner"].create(
        [
            {
                "name": f"{company.name} Customer {index}",
                "email": f"customer{index}@example.com",
                "company_id": company.id,
                "category_id": [Command.link(tag.id)],
                "bank_ids": [Command.create({"acc_number": f"DZ{company.id:04d}{index:08d}"})],
            }
            for index in range(1, 4)
        ]
    )
    vendor = env["res.partner"].create(
        {"name": f"{company.name} Supplier", "company_id": company.id, "supplier_rank": 1}
    )
    return customers, vendor


def _create_products(env, company):
    category = env["product.category"].create({"name": f"Goods ({company.name})"})
    color = env["product.attribute"].create(
        {
            "name": f"Color ({company.name})",
            "value_ids": [Command.create({"name": "Red"}), Command.create({"name": "Blue"})],
        }
    )
    chair = env["product.template"].create(
        {
            "name": "Chair",
            "company_id": company.id,
            "categ_id": category.id,
            "list_price": 100.0,
            "standard_price": 40.0,
            "attribute_line_ids": [
                Command.create({"attribute_id": color.id, "value_ids": [Command.set(color.value_ids.ids)]})
            ],
        }
    )
    service = env["product.product"].create(
        {"name": "Consulting hour", "type": "service", "company_id": company.id, "list_price": 80.0}
    )
    return chair.product_variant_ids + service


def _create_analytic_account(env, company):
    plan = env["account.analytic.plan"].create({"name": f"Projects ({company.name})"})
    return env["account.analytic.account"].create(
        {"name": "Project Alpha", "plan_id": plan.id, "company_id": company.id}
    )


def _create_invoices(env, company, customers, products, analytic, count):
    invoices = env["account.move"]
    for index in range(count):
        invoice = post_move(
            env,
            "out_invoice",
            customers[index % len(customers)],
            products,
            date.today() - timedelta(days=30 - index),
            100.0 + 10 * index,
            analytic_distribution={str(analytic.id): 100.0},
        )
        invoices |= invoice
    return invoices


def post_move(
    env, move_type, partner, products, invoice_date, price, analytic_distribution=None, currency=None
):
    """Create and post an invoice, bill or credit note of ``products`` (in ``currency``, the
    company's by default)."""
    company = env.company
    tax = company.account_sale_tax_id if move_type.startswith("out") else company.account_purchase_tax_id
    move = env["account.move"].create(
        {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "currency_id": (currency or company.currency_id).id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "quantity": 1 + position,
                        "price_unit": price,
                        "tax_ids": [Command.set(tax.ids)],
                        "analytic_distribution": analytic_distribution,
                    }
                )
                for position, product in enumerate(products)
            ],
        }
    )
    move.action_post()
    return move


def _register_payment(move, amount=None):
    values = {"payment_date": move.invoice_date + timedelta(days=3)}
    if amount:
        values["amount"] = amount
    wizard = move.env["account.payment.register"].with_context(
        active_model="account.move", active_ids=move.ids
    )
    return wizard.create(values)._create_payments()


def _reconcile_refund(invoice, refund):
    receivable = (invoice.line_ids | refund.line_ids).filtered(
        lambda line: line.account_id.account_type == "asset_receivable"
    )
    receivable.reconcile()


def _create_sale(env, customer, products):
    """A confirmed quotation, invoiced and posted."""
    order = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": 2}) for product in products
            ],
        }
    )
    order.action_confirm()
    order._create_invoices().action_post()
    return order


def _create_purchase(env, vendor, products):
    order = env["purchase.order"].create(
        {
            "partner_id": vendor.id,
            "order_line": [
                Command.create({"product_id": products[0].id, "product_qty": 5, "price_unit": 30.0})
            ],
        }
    )
    order.button_confirm()
    return order


def _create_expense(env, company, owner):
    """An employee for the owner, and an expense report submitted for approval."""
    employee = env["hr.employee"].create({"name": owner.name, "user_id": owner.id, "company_id": company.id})
    expense = env["hr.expense"].create(
        {"name": "Taxi to the customer", "employee_id": employee.id, "total_amount_currency": 36.0}
    )
    sheet = env["hr.expense.sheet"].create(
        {"name": "Customer visit", "employee_id": employee.id, "expense_line_ids": [Command.set(expense.ids)]}
    )
    sheet.action_submit_sheet()
    return sheet


def _add_chatter(move, author):
    move.with_user(author).message_post(
        body=CUSTOMER_NOTE,
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    move.activity_schedule("mail.mail_activity_data_todo", summary="Call the customer", user_id=author.id)
    ref_field = move.env["ir.model.fields"]._get("account.move", "ref")
    move.with_user(author)._message_log(
        tracking_value_ids=[
            Command.create({"field_id": ref_field.id, "old_value_char": "", "new_value_char": "PO-4242"})
        ]
    )
