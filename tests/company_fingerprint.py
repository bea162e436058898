"""An id-free fingerprint of a company's business data, in SQL, comparable across databases.

Each query takes the company's id (``%(company)s``) and names records by what users see
(numbers, names, codes), never by id, so that the same company restored elsewhere gives the
same rows. A query whose tables are not installed is left out.
"""

import decimal
import json

# name -> (tables it needs, query)
QUERIES = {
    "trial balance": (
        ("account_move_line",),
        """SELECT a.code_store->>l.company_id::text, round(sum(l.debit), 2), round(sum(l.credit), 2)
             FROM account_move_line l JOIN account_account a ON a.id = l.account_id
            WHERE l.company_id = %(company)s AND l.parent_state = 'posted' GROUP BY 1""",
    ),
    "partner balances": (
        ("account_move_line",),
        """SELECT p.name, round(sum(l.balance), 2), round(sum(l.amount_residual), 2)
             FROM account_move_line l JOIN res_partner p ON p.id = l.partner_id
            WHERE l.company_id = %(company)s AND l.parent_state = 'posted' GROUP BY 1""",
    ),
    "invoices": (
        ("account_move",),
        """SELECT m.name, m.move_type, m.state, round(m.amount_total, 2), round(m.amount_residual, 2),
                  m.payment_state, m.invoice_date, p.name
             FROM account_move m LEFT JOIN res_partner p ON p.id = m.partner_id
            WHERE m.company_id = %(company)s""",
    ),
    "sale order lines": (
        ("sale_order_line",),
        """SELECT o.name, o.state, l.name, l.product_uom_qty, l.qty_delivered, l.qty_invoiced,
                  round(l.price_subtotal, 2)
             FROM sale_order_line l JOIN sale_order o ON o.id = l.order_id
            WHERE o.company_id = %(company)s""",
    ),
    "purchase order lines": (
        ("purchase_order_line",),
        """SELECT o.name, o.state, l.name, l.product_qty, l.qty_received, l.qty_invoiced,
                  round(l.price_subtotal, 2)
             FROM purchase_order_line l JOIN purchase_order o ON o.id = l.order_id
            WHERE o.company_id = %(company)s""",
    ),
    "pickings": (
        ("stock_picking",),
        """SELECT p.name, p.state, p.origin, t.name->>'en_US', s.complete_name, d.complete_name
             FROM stock_picking p JOIN stock_picking_type t ON t.id = p.picking_type_id
             JOIN stock_location s ON s.id = p.location_id JOIN stock_location d ON d.id = p.location_dest_id
            WHERE p.company_id = %(company)s""",
    ),
    "moves": (
        ("stock_move",),
        """SELECT p.name, m.reference, m.state, pt.name->>'en_US', m.product_uom_qty, m.quantity,
                  s.complete_name, d.complete_name, so.name, po.name
             FROM stock_move m JOIN product_product pp ON pp.id = m.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
             LEFT JOIN stock_picking p ON p.id = m.picking_id
             JOIN stock_location s ON s.id = m.location_id JOIN stock_location d ON d.id = m.location_dest_id
             LEFT JOIN sale_order_line sol ON sol.id = m.sale_line_id
             LEFT JOIN sale_order so ON so.id = sol.order_id
             LEFT JOIN purchase_order_line pol ON pol.id = m.purchase_line_id
             LEFT JOIN purchase_order po ON po.id = pol.order_id
            WHERE m.company_id = %(company)s""",
    ),
    "move lines": (
        ("stock_move_line",),
        """SELECT l.reference, pt.name->>'en_US', l.quantity, l.picked, lot.name, s.complete_name,
                  d.complete_name, l.state
             FROM stock_move_line l JOIN product_product pp ON pp.id = l.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
             LEFT JOIN stock_lot lot ON lot.id = l.lot_id
             JOIN stock_location s ON s.id = l.location_id JOIN stock_location d ON d.id = l.location_dest_id
            WHERE l.company_id = %(company)s""",
    ),
    "warehouses and routes": (
        ("stock_rule",),
        """SELECT w.name, w.code, w.reception_steps, w.delivery_steps, r.name->>'en_US', u.name->>'en_US',
                  u.action, u.procure_method, s.complete_name, d.complete_name, t.sequence_code
             FROM stock_rule u JOIN stock_route r ON r.id = u.route_id
             LEFT JOIN stock_warehouse w ON w.id = u.warehouse_id
             LEFT JOIN stock_location s ON s.id = u.location_src_id
             JOIN stock_location d ON d.id = u.location_dest_id
             LEFT JOIN stock_picking_type t ON t.id = u.picking_type_id
            WHERE u.company_id = %(company)s""",
    ),
    "reordering rules": (
        ("stock_warehouse_orderpoint",),
        """SELECT pt.name->>'en_US', l.complete_name, o.product_min_qty, o.product_max_qty, o.trigger
             FROM stock_warehouse_orderpoint o JOIN product_product pp ON pp.id = o.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
             JOIN stock_location l ON l.id = o.location_id
            WHERE o.company_id = %(company)s""",
    ),
    "stock on hand": (
        ("stock_quant",),
        """SELECT pt.name->>'en_US', pp.default_code, l.complete_name, lot.name, sum(q.quantity),
                  sum(q.reserved_quantity)
             FROM stock_quant q JOIN product_product pp ON pp.id = q.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
             JOIN stock_location l ON l.id = q.location_id LEFT JOIN stock_lot lot ON lot.id = q.lot_id
            WHERE q.company_id = %(company)s GROUP BY 1, 2, 3, 4""",
    ),
    "valuation": (
        ("stock_valuation_layer",),
        """SELECT pt.name->>'en_US', v.quantity, round(v.value, 2), round(v.remaining_qty, 2), m.name
             FROM stock_valuation_layer v JOIN product_product pp ON pp.id = v.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
             LEFT JOIN account_move m ON m.id = v.account_move_id
            WHERE v.company_id = %(company)s""",
    ),
    "point of sale": (
        ("pos_order",),
        """SELECT o.name, o.state, round(o.amount_total, 2), round(o.amount_paid, 2), s.name, s.state,
                  c.name, (SELECT count(*) FROM pos_order_line l WHERE l.order_id = o.id),
                  (SELECT round(sum(amount), 2) FROM pos_payment y WHERE y.pos_order_id = o.id)
             FROM pos_order o JOIN pos_session s ON s.id = o.session_id
             JOIN pos_config c ON c.id = s.config_id
            WHERE o.company_id = %(company)s""",
    ),
    "bills of materials": (
        ("mrp_bom_line",),
        """SELECT pt.name->>'en_US', b.product_qty, b.type, ct.name->>'en_US', l.product_qty,
                  o.name, w.name
             FROM mrp_bom_line l JOIN mrp_bom b ON b.id = l.bom_id
             JOIN product_template pt ON pt.id = b.product_tmpl_id
             JOIN product_product cp ON cp.id = l.product_id
             JOIN product_template ct ON ct.id = cp.product_tmpl_id
             LEFT JOIN mrp_routing_workcenter o ON o.id = l.operation_id
             LEFT JOIN mrp_workcenter w ON w.id = o.workcenter_id
            WHERE b.company_id = %(company)s""",
    ),
    "work orders": (
        ("mrp_workorder",),
        """SELECT m.name, o.name, w.name, o.state, o.duration_expected, o.qty_produced
             FROM mrp_workorder o JOIN mrp_production m ON m.id = o.production_id
             JOIN mrp_workcenter w ON w.id = o.workcenter_id
            WHERE m.company_id = %(company)s""",
    ),
    "tasks": (
        ("project_task",),
        """SELECT t.name, p.name->>'en_US', s.name->>'en_US', t.state, t.priority,
                  ARRAY(SELECT g.name->>'en_US' FROM project_tags g
                          JOIN project_tags_project_task_rel r ON r.project_tags_id = g.id
                         WHERE r.project_task_id = t.id ORDER BY 1),
                  (SELECT round(sum(a.unit_amount)::numeric, 2) FROM account_analytic_line a
                    WHERE a.task_id = t.id)
             FROM project_task t LEFT JOIN project_project p ON p.id = t.project_id
             LEFT JOIN project_task_type s ON s.id = t.stage_id
            WHERE t.company_id = %(company)s OR p.company_id = %(company)s""",
    ),
    "timesheets": (
        ("account_analytic_line",),
        """SELECT a.name, a.date, round(a.unit_amount::numeric, 2), round(a.amount, 2), e.name, t.name
             FROM account_analytic_line a LEFT JOIN hr_employee e ON e.id = a.employee_id
             LEFT JOIN project_task t ON t.id = a.task_id
            WHERE a.company_id = %(company)s""",
    ),
    "leads": (
        ("crm_lead",),
        """SELECT l.name, l.type, s.name->>'en_US', l.expected_revenue, l.probability, l.active,
                  p.name, r.name->>'en_US'
             FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
             LEFT JOIN res_partner p ON p.id = l.partner_id
             LEFT JOIN crm_lost_reason r ON r.id = l.lost_reason_id
            WHERE l.company_id = %(company)s""",
    ),
    "productions": (
        ("mrp_production",),
        """SELECT m.name, m.state, pt.name->>'en_US', m.product_qty, m.qty_producing,
                  (SELECT count(*) FROM mrp_workorder w WHERE w.production_id = m.id)
             FROM mrp_production m JOIN product_product pp ON pp.id = m.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
            WHERE m.company_id = %(company)s""",
    ),
    "employees": (
        ("hr_employee",),
        """SELECT e.name, d.name->>'en_US', j.name->>'en_US', e.work_email, m.name
             FROM hr_employee e LEFT JOIN hr_department d ON d.id = e.department_id
             LEFT JOIN hr_job j ON j.id = e.job_id LEFT JOIN hr_employee m ON m.id = e.parent_id
            WHERE e.company_id = %(company)s""",
    ),
    "leaves": (
        ("hr_leave",),
        """SELECT e.name, t.name->>'en_US', l.date_from, l.date_to, l.number_of_days, l.state
             FROM hr_leave l JOIN hr_employee e ON e.id = l.employee_id
             JOIN hr_leave_type t ON t.id = l.holiday_status_id
            WHERE e.company_id = %(company)s""",
    ),
    "allocations": (
        ("hr_leave_allocation",),
        """SELECT e.name, t.name->>'en_US', a.number_of_days, a.state
             FROM hr_leave_allocation a JOIN hr_employee e ON e.id = a.employee_id
             JOIN hr_leave_type t ON t.id = a.holiday_status_id
            WHERE e.company_id = %(company)s""",
    ),
    "expenses": (
        ("hr_expense",),
        """SELECT x.name, round(x.total_amount, 2), x.state, e.name, s.name, s.state
             FROM hr_expense x JOIN hr_employee e ON e.id = x.employee_id
             LEFT JOIN hr_expense_sheet s ON s.id = x.sheet_id
            WHERE x.company_id = %(company)s""",
    ),
    "chatter": (
        ("mail_message",),
        # the text of each message: a restore from elsewhere sanitizes the HTML around it again
        """SELECT m.model, m.message_type, m.date, count(*),
                  md5(trim(regexp_replace(regexp_replace(coalesce(m.body, ''), '<[^>]*>', ' ', 'g'),
                                          '[[:space:]]+', ' ', 'g')))
             FROM mail_message m
            WHERE m.model IS NOT NULL AND m.res_id IN (
                  SELECT id FROM account_move WHERE company_id = %(company)s AND m.model = 'account.move'
                  UNION ALL SELECT id FROM sale_order WHERE company_id = %(company)s
                                                      AND m.model = 'sale.order'
                  UNION ALL SELECT id FROM crm_lead WHERE company_id = %(company)s AND m.model = 'crm.lead'
                  UNION ALL SELECT id FROM stock_picking WHERE company_id = %(company)s
                                                         AND m.model = 'stock.picking'
                  UNION ALL SELECT id FROM project_task WHERE company_id = %(company)s
                                                        AND m.model = 'project.task')
            GROUP BY 1, 2, 3, 5""",
    ),
}


def fingerprint(cr, company_id):
    """{name: sorted rows as JSON text} of every query whose tables this database has."""
    cr.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    tables = {row[0] for row in cr.fetchall()}
    result = {}
    for name, (needed, query) in QUERIES.items():
        if tables.issuperset(needed) and _tables_of(query) <= tables:
            cr.execute(query, {"company": company_id})
            result[name] = sorted(json.dumps(row, default=_plain) for row in cr.fetchall())
    return result


def _plain(value):
    """JSON of what is not: numbers as floats (3.00 and 3.0 are one quantity), the rest as text."""
    return float(value) if isinstance(value, decimal.Decimal) else str(value)


def _tables_of(query):
    """The tables a query joins (the words after FROM and JOIN)."""
    words = query.replace("(", " ").split()
    return {words[i + 1] for i, word in enumerate(words[:-1]) if word in ("FROM", "JOIN")}
