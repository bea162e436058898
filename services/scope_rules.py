"""How the records of a business model belong to a company, and the fields that are never data."""

from dataclasses import dataclass

COMPANY_MODEL = "res.company"


@dataclass(frozen=True)
class ScopeRule:
    """How the records of one business model belong to a company.

    ``company``:
      - ``own``: records whose ``company_id`` is the company;
      - ``companies``: records whose ``company_ids`` hold the company (shared accounts);
      - ``shared``: records of the company, and records of no company that the
        company's data refers to;
      - ``none``: the model has no company; records come along when referred
        to, as children of a parent (``parents``) or as documents.
    ``parents``: many2one fields; a record comes along with its parent.
    ``document``: records attached by ``res_model``/``res_id`` to records in scope.
    ``option``: included only when this backup option is on (e.g. ``attachments``).
    """

    model: str
    company: str = "own"
    parents: tuple = ()
    document: bool = False
    option: str = ""


# Columns of every model that belong to the database, not to the business data.
MAGIC_FIELDS = frozenset({"create_uid", "create_date", "write_uid", "write_date", "__last_update"})

# res.company fields that are identity or localisation, never settings.
COMPANY_IDENTITY_FIELDS = frozenset(
    """name partner_id currency_id logo logo_web parent_id parent_path sequence active report_header
    report_footer company_details layout_background external_report_layout_id paperformat_id primary_color
    secondary_color font email phone mobile website vat company_registry street street2 zip city state_id
    country_id chart_template account_fiscal_country_id account_enabled_tax_country_ids
    multi_vat_foreign_country_ids expects_chart_of_accounts danger_zone_owner_id uses_default_logo bank_ids
    user_ids""".split()
)


# The business models of a company that Danger Zone ships rules for (danger.zone.scope extends them).
BUSINESS_RULES = (
    # contacts
    ScopeRule("res.partner", "shared", parents=("parent_id",)),
    ScopeRule("res.partner.category", "none"),
    ScopeRule("res.partner.bank", "shared", parents=("partner_id",)),
    # products
    ScopeRule("product.category", "none"),
    ScopeRule("product.template", "shared"),
    ScopeRule("product.product", "none", parents=("product_tmpl_id",)),
    ScopeRule("product.attribute", "none"),
    ScopeRule("product.attribute.value", "none", parents=("attribute_id",)),
    ScopeRule("product.template.attribute.line", "none", parents=("product_tmpl_id",)),
    ScopeRule("product.template.attribute.value", "none", parents=("product_tmpl_id",)),
    # accounting configuration
    ScopeRule("account.account", "companies"),
    ScopeRule("account.group"),
    ScopeRule("account.tax.group"),
    ScopeRule("account.tax"),
    ScopeRule("account.tax.repartition.line"),
    ScopeRule("account.fiscal.position"),
    ScopeRule("account.fiscal.position.tax", "none", parents=("position_id",)),
    ScopeRule("account.fiscal.position.account", "none", parents=("position_id",)),
    ScopeRule("account.journal"),
    ScopeRule("account.journal.group"),
    ScopeRule("account.payment.method.line", "none", parents=("journal_id",)),
    ScopeRule("account.payment.term", "shared"),
    ScopeRule("account.payment.term.line", "none", parents=("payment_id",)),
    ScopeRule("account.cash.rounding", "shared"),
    ScopeRule("account.reconcile.model"),
    ScopeRule("account.reconcile.model.line"),
    ScopeRule("account.reconcile.model.partner.mapping", "none", parents=("model_id",)),
    # accounting documents
    ScopeRule("account.move"),
    ScopeRule("account.move.line"),
    ScopeRule("account.partial.reconcile"),
    ScopeRule("account.full.reconcile", "none"),
    ScopeRule("account.payment"),
    ScopeRule("account.bank.statement"),
    ScopeRule("account.bank.statement.line"),
    # analytic
    ScopeRule("account.analytic.plan", "shared"),
    ScopeRule("account.analytic.account", "shared"),
    ScopeRule("account.analytic.line"),
    ScopeRule("account.analytic.distribution.model", "shared"),
    # sales, purchases, expenses (when installed)
    ScopeRule("crm.team", "shared"),
    ScopeRule("sale.order"),
    ScopeRule("sale.order.line"),
    ScopeRule("purchase.order"),
    ScopeRule("purchase.order.line"),
    ScopeRule("resource.calendar", "shared"),
    ScopeRule("resource.resource", "shared"),
    ScopeRule("hr.department", "shared"),
    ScopeRule("hr.job", "shared"),
    ScopeRule("hr.employee"),
    ScopeRule("hr.expense"),
    ScopeRule("hr.expense.sheet"),
    # timeline
    ScopeRule("mail.message", "none", document=True),
    ScopeRule("mail.tracking.value", "none", parents=("mail_message_id",)),
    ScopeRule("mail.followers", "none", document=True),
    ScopeRule("mail.activity", "none", document=True),
    ScopeRule("ir.attachment", "none", document=True, option="attachments"),
)
