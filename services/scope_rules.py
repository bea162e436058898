"""How the records of a business model belong to a company, and the fields that are never data."""

import re
from dataclasses import dataclass

COMPANY_MODEL = "res.company"
_UNIQUE = re.compile(r"^\s*unique\s*\(([^)]*)\)\s*$", re.IGNORECASE)


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
    ScopeRule("res.partner.title", "none"),
    ScopeRule("res.partner.industry", "none"),
    ScopeRule("res.bank", "none"),
    # units, campaigns and activity types: shared records that users make, matched where restored
    ScopeRule("uom.category", "none"),
    ScopeRule("uom.uom", "none"),
    ScopeRule("utm.campaign", "shared"),
    ScopeRule("utm.medium", "none"),
    ScopeRule("utm.source", "none"),
    ScopeRule("utm.stage", "none"),
    ScopeRule("utm.tag", "none"),
    ScopeRule("mail.activity.type", "none"),
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
    ScopeRule("mail.alias", "none"),  # the e-mail aliases of teams, projects, journals...
    # the numbering of operation types and points of sale (their next number included)
    ScopeRule("ir.sequence", "none"),
    ScopeRule("ir.sequence.date_range", "none", parents=("sequence_id",)),
    ScopeRule("ir.attachment", "none", document=True, option="attachments"),
)


# Models that hold rows of a company but no business data: what backups leave out, and why.
# A name ending with a dot stands for every model whose name starts with it.
LEFT_OUT = {
    "ir.": "technical: Odoo's own configuration (sequences, defaults, actions, files unless asked for)",
    "bus.": "technical: messages between the server and open browser tabs",
    "base_import.": "technical: import wizards",
    "mail.mail": "technical: the queue of outgoing e-mails",
    "mail.notification": "technical: who was notified of a message, and whether they read it",
    "mail.link.preview": "technical: previews of the links in messages",
    "mail.message.schedule": "technical: the queue of notifications to send",
    "mail.scheduled.message": "technical: messages waiting to be sent",
    "mail.message.translation": "technical: translations of messages, made again on demand",
    "mail.push": "technical: the queue of push notifications",
    "mail.template": "code: templates hold expressions that run when they are rendered",
    "sms.template": "code: templates hold expressions that run when they are rendered",
    "mail.alias.domain": "technical: the database's e-mail domains (restored aliases take the company's)",
    "discuss.": "messaging: chat channels and calls belong to their members, not to a company",
    "mail.guest": "identity and access: visitors of chat channels",
    "mail.push.device": "identity and access: the browsers that receive push notifications",
    "discuss.voice.metadata": "technical: the metadata of voice messages",
    "res.partner.autocomplete.sync": "technical: the queue of contacts to enrich",
    "snailmail.letter": "technical: the queue of letters sent by post",
    "digest.": "technical: the periodic KPI e-mails",
    "onboarding.": "technical: the progress of onboarding panels",
    "spreadsheet.dashboard": "technical: the dashboards that modules install",
    "res.company": "identity: the company itself (its business settings travel apart)",
    "res.users": "identity and access: users keep their accounts",
    "res.users.": "identity and access: users' keys, settings and logs",
    "res.groups": "identity and access",
    "res.device": "identity and access: users' devices and sessions",
    "res.device.": "identity and access: users' devices and sessions",
    "payment.provider": "credentials: payment providers hold their API keys",
    "payment.token": "credentials: customers' saved payment methods",
    "payment.transaction": "credentials: exchanges with payment providers, which are left out",
    "fetchmail.server": "credentials: incoming mail servers",
    "iap.account": "credentials: In-App Purchase accounts",
    "danger.zone.": "the Danger Zone's own jobs",
}


def left_out_reason(model, left_out=None):
    """Why backups leave ``model`` out (``left_out``: name or prefix -> reason), or None.

    >>> left_out_reason("res.users.apikeys")
    "identity and access: users' keys, settings and logs"
    >>> left_out_reason("res.partner") is None
    True
    """
    left_out = LEFT_OUT if left_out is None else left_out
    if model in left_out:
        return left_out[model]
    return next(
        (reason for name, reason in left_out.items() if name.endswith(".") and model.startswith(name)), None
    )


def company_kind(Model):
    """How rows of ``Model`` belong to a company, from its columns (see ScopeRule), or None:
    ``own`` for a required ``company_id``, ``shared`` for one that may be empty (records of no
    company come along when the company's data uses them), ``companies`` for ``company_ids``."""
    company = Model._fields.get("company_id")
    if company and company.store and company.type == "many2one" and company.comodel_name == COMPANY_MODEL:
        return "own" if company.required else "shared"
    companies = Model._fields.get("company_ids")
    if (
        companies
        and companies.store
        and companies.type == "many2many"
        and companies.comodel_name == COMPANY_MODEL
    ):
        return "companies"
    return None


def document_field(Model):
    """The stored many2one_reference of ``Model`` (``res_id``, beside a stored ``res_model``)
    by which its records attach to any record, or None."""
    fields = Model._fields
    return next(
        (
            field
            for field in fields.values()
            if field.type == "many2one_reference" and field.store and fields[field.model_field].store
        ),
        None,
    )


def unique_columns(Model):
    """The column tuples of ``Model``'s unique constraints.

    >>> class Employee:
    ...     _sql_constraints = [("user_uniq", "unique (user_id, company_id)", "..."), ("x", "CHECK(a>0)", "")]
    >>> unique_columns(Employee)
    [('user_id', 'company_id')]
    """
    found = []
    for _name, definition, _message in Model._sql_constraints:
        if match := _UNIQUE.match(definition):
            found.append(tuple(column.strip() for column in match.group(1).split(",")))
    return found


def holds_rows(Model):
    """Whether ``Model`` is stored in a table of its own (no abstract or transient model)."""
    return Model._auto and not Model._abstract and not Model._transient and not Model._table_query
