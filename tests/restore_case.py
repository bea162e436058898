"""What the restore tests share: files rewritten, fingerprints, a company to restore into."""

import base64
import io
import json
import zipfile

from odoo import Command
from odoo.exceptions import UserError

from ..engine import open_backup, write_backup
from .backup_case import BackupCase


def rewrite_backup(content, mutate, keep_signature=False, compresslevel=1, format_version=2):
    """A copy of a backup file whose members went through ``mutate(members, manifest)``.

    Hashes and counts are made to match again, as a forger would; the copy
    claims to come from another database unless ``keep_signature``. Records are
    arrays by the members' columns, or objects with ``format_version=1``.
    """
    members, manifest = parse_backup(content)
    mutate(members, manifest)
    return build_backup(members, manifest, keep_signature, compresslevel, format_version)


def parse_backup(content):
    """(member name -> its records as dictionaries, a copy of the manifest) of a backup file."""
    reader = open_backup(io.BytesIO(content))
    manifest = json.loads(json.dumps(reader.manifest))
    members = {member["name"]: list(reader.records(member["name"])) for member in manifest["members"]}
    return members, manifest


def build_backup(members, manifest, keep_signature=False, compresslevel=1, format_version=2, lie=None):
    """A backup file of ``members`` (name -> records) described by ``manifest``, its hashes and
    counts made to match (see ``rewrite_backup``); ``lie(manifest)`` may change the manifest
    after that."""
    buffer = io.BytesIO()
    writer = write_backup(buffer, compresslevel=compresslevel, format_version=format_version)
    manifest["format_version"] = format_version
    entries = {entry["name"]: entry for entry in manifest["members"]}
    for name, records in members.items():
        entry = entries[name]
        columns = [column for column in entry.pop("columns", ["id"]) if column in entry["fields"]]
        columns += [field for field in entry["fields"] if field not in columns]
        if format_version > 1:
            entry["columns"] = columns
        with writer.member(name) as sink:
            for record in records:
                value = [record.get(column) for column in columns] if format_version > 1 else record
                sink.add(json.dumps(value, separators=(",", ":")))
        entry.update(sink.summary())
    manifest["members"] = list(entries.values())
    if not keep_signature:
        manifest.pop("signature", None)
        manifest["source"]["database_uuid"] = "another-database"
    if lie:
        lie(manifest)
    writer.close(manifest)
    return buffer.getvalue()


def respace_member(content, name):
    """A copy of a backup whose member ``name`` holds the same records in other bytes (a space
    after one comma), its manifest and signature untouched: only the member's hash tells."""
    source, buffer = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                data = data.replace(b",", b", ", 1)
            copy.writestr(info, data)
    return buffer.getvalue()


def fingerprint(company):
    """What must survive a restore, in terms that do not depend on ids."""
    company = company.sudo()
    moves = company.env["account.move"].search([("company_id", "=", company.id)], order="name, id")
    return {
        **_books_fingerprint(company, moves),
        **_timeline_fingerprint(moves),
        **_contacts_fingerprint(company),
    }


def _books_fingerprint(company, moves):
    """Balances, entries, reconciliations and analytic distributions."""
    lines = moves.line_ids.filtered(lambda line: line.parent_state == "posted")
    trial_balance, partner_balances = {}, {}
    for line in lines:
        code = line.account_id.with_company(company).code  # codes are each company's own
        debit, credit = trial_balance.get(code, (0.0, 0.0))
        trial_balance[code] = (round(debit + line.debit, 2), round(credit + line.credit, 2))
        if line.account_id.account_type in ("asset_receivable", "liability_payable"):
            name = line.partner_id.name
            partner_balances[name] = round(partner_balances.get(name, 0.0) + line.balance, 2)
    partials = company.env["account.partial.reconcile"].search([("company_id", "=", company.id)])
    return {
        "trial_balance": trial_balance,
        "partner_balances": partner_balances,
        "moves": [
            (
                m.name,
                m.move_type,
                m.state,
                m.amount_total,
                m.amount_residual,
                m.payment_state,
                m.partner_id.name,
            )
            for m in moves
        ],
        "reconciliations": sorted(
            (p.debit_move_id.move_id.name, p.credit_move_id.move_id.name, p.amount, bool(p.full_reconcile_id))
            for p in partials
        ),
        "analytic": sorted(
            (line.move_id.name, line.name or "", json.dumps(_named_distribution(line), sort_keys=True))
            for line in lines
            if line.analytic_distribution
        ),
    }


def _timeline_fingerprint(moves):
    """The entries' messages and tracking."""
    env = moves.env
    return {
        "chatter": sorted(
            (message.record_name or "", message.author_id.name or "", message.message_type, str(message.body))
            for message in env["mail.message"].search(
                [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
            )
        ),
        "tracking": sorted(
            (t.field_id.name, t.old_value_char or "", t.new_value_char or "")
            for t in env["mail.tracking.value"].search(
                [("mail_message_id.model", "=", "account.move"), ("mail_message_id.res_id", "in", moves.ids)]
            )
        ),
    }


def _contacts_fingerprint(company):
    """The company's customers, and the records of a custom model about them."""
    env = company.env
    return {
        "customers": sorted(
            (
                p.name,
                p.email or "",
                p.x_dz_loyalty or "",
                p.category_id.name or "",
                p.bank_ids.acc_number or "",
            )
            for p in env["res.partner"].search([("company_id", "=", company.id)])
        ),
        "visits": sorted(
            (v.x_name, v.x_partner_id.name)
            for v in env["x_dz_visit"].search([("x_partner_id.company_id", "=", company.id)])
        ),
    }


def _named_distribution(line):
    accounts = line.env["account.analytic.account"]
    return {
        ",".join(accounts.browse(int(part)).name for part in key.split(",")): value
        for key, value in line.analytic_distribution.items()
    }


class RestoreCase(BackupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner.groups_id = [Command.link(cls.env.ref("account.group_account_user").id)]
        cls._secure_sales_journal()
        cls.content = cls._build_backup().attachment_id.sudo().raw
        cls.source_fingerprint = fingerprint(cls.company)

    @classmethod
    def _secure_sales_journal(cls):
        """Hash the posted invoices, as a company under inalterability rules has them."""
        journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "sale")], limit=1
        )
        journal.restrict_mode_hash_table = True
        posted = cls.env["account.move"].search([("journal_id", "=", journal.id), ("state", "=", "posted")])
        posted._hash_moves(force_hash=True, raise_if_gap=False)
        assert posted.filtered("inalterable_hash"), "the test needs hashed entries"

    def new_company(self, name, chart=True):
        """A company of the source's fiscal country, which its taxes need (_validate_taxes_country)."""
        company = (
            self.env["res.company"]
            .with_user(self.owner)
            .create({"name": name, "account_fiscal_country_id": self.company.account_fiscal_country_id.id})
        )
        self.owner.company_ids = [Command.link(company.id)]
        if chart:
            self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        return company

    def restore(self, company, content=None, **options):
        """Request a restore as the owner and run it as the cron would."""
        file_b64 = base64.b64encode(content or self.content).decode()
        restore_id = company.with_user(self.owner).danger_zone_restore(file_b64, confirm="RESTORE", **options)
        self.env["danger.zone.restore"]._cron_process_queue()
        return self.env["danger.zone.restore"].browse(restore_id)

    def preflight(self, company, content, **options):
        return company.with_user(self.owner).danger_zone_restore_preflight(
            base64.b64encode(content).decode(), **options
        )

    def assert_refused(self, content, message, company=None, **options):
        """The file is refused with ``message`` by the pre-flight check and by the request, and
        nothing is written (nothing is queued)."""
        company = company or self.company
        before = self.state_of(company)
        try:
            report = self.preflight(company, content, **options)
        except UserError as error:
            self.assertRegex(str(error), message)
        else:
            self.assertFalse(report["ok"], f"the pre-flight check accepted a file refused for {message}")
            self.assertRegex("\n".join(report["errors"]), message)
        with self.assertRaisesRegex(UserError, message):
            self.restore(company, content, **options)
        self.assertEqual(self.state_of(company), before)

    def state_of(self, company):
        return (
            self.env["danger.zone.restore"].search_count([]),
            self.env["account.move"].search_count([("company_id", "=", company.id)]),
            self.env["res.partner"].search_count([]),
        )

    def as_owner(self, company):
        return company.with_user(self.owner).with_context(allowed_company_ids=[company.id])


def comparable_records(reader, models):
    """The records of ``models`` with every id replaced by its rank in its member: stable keys."""
    members = {m["model"] + "/" + m["kind"]: m for m in reader.manifest["members"]}
    ranks = {}
    for key, member in members.items():
        ids = sorted(record["id"] for record in reader.records(member["name"]))
        ranks.setdefault(member["model"], {}).update({old: f"{key}#{rank}" for rank, old in enumerate(ids)})
    result = {}
    for model in models:
        member = members[f"{model}/data"]
        result[model] = [
            {
                name: ranks[model][value]
                if name == "id"
                else _stable(value, member["fields"][name], record, ranks)
                for name, value in record.items()
            }
            for record in reader.records(member["name"])
        ]
    return result


def _stable(value, field, record, ranks):
    if value is None:
        return None
    if field["type"] == "char" and record.get("matching_number") is value:  # made of reconciliation ids
        if value.isdigit():
            return ranks["account.full.reconcile"].get(int(value), value)
        if value.startswith("P") and value[1:].isdigit():
            return ranks["account.partial.reconcile"].get(int(value[1:]), value)
    relation = field.get("relation")
    if field["type"] == "many2one_reference":
        relation = record.get(field["model_field"])
    if field["type"] in ("many2one", "many2one_reference"):
        return ranks.get(relation, {}).get(value, value)
    if field["type"] in ("many2many", "one2many"):
        return sorted(ranks.get(relation, {}).get(item, item) for item in value)
    if key_relation := field.get("key_relation"):  # analytic distributions: keyed by ids
        ranked = ranks.get(key_relation, {})
        return {",".join(str(ranked.get(int(i), i)) for i in key.split(",")): v for key, v in value.items()}
    return value
