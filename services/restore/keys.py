"""The key resolver of a restore: which record of this database each natural key of the file
is (users, currencies, countries...), and which shared records of the file this database
already has (plans, categories, attributes...), so that references go to them."""

from ...engine import insertion_order
from ..scope_rules import COMPANY_MODEL

# Users and their partners that cannot be matched are relinked to the restoring user.
RELINKED_KEYS = ("res.users", "res.partner")


class KeyResolver:
    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.company = context.company
        self.remap = context.remap
        self.relinked = []  # logins of users relinked to the restoring user
        self.relinked_ids = {model: set() for model in RELINKED_KEYS}  # their backup ids, and their partners'
        self.providers = {}  # module -> the unresolved keys it would provide
        self.matching_keys = self.env["danger.zone.scope"]._danger_zone_matching_keys()
        self.matched = {}  # model -> key -> id of the existing record
        self.matched_ids = {}  # model -> backup ids of the records matched to existing ones

    def resolve(self):
        """Map every natural key of the file to a record here; return the unresolved ones."""
        if source_company := self._source_company_id():
            self.remap.add(COMPANY_MODEL, source_company, self.company.id)
        unresolved = []
        key_members = {m["model"]: m for m in self.context.members.values() if m["kind"] == "keys"}
        dependencies = {
            model: {
                name: (described["relation"], True)
                for name, described in member["fields"].items()
                if described.get("relation")
            }
            for model, member in key_members.items()
        }
        order, _deferred = insertion_order(dependencies)
        for model in order:
            member = key_members[model]
            for record in self.context.reader.records(member["name"]):
                target = self._find_key(model, member, record)
                if target:
                    self.remap.add(model, record["id"], target)
                elif model in RELINKED_KEYS:
                    self.remap.add(model, record["id"], self._restoring_user_value(model))
                    self.relinked_ids[model].add(record["id"])
                else:
                    shown = ", ".join(f"{k}={v!r}" for k, v in record.items() if k != "id")
                    unresolved.append(f"{model} ({shown})")
                    if module := member.get("modules", {}).get(str(record["id"])):
                        self.providers.setdefault(module, []).append(f"{model} ({shown})")
        return unresolved

    def _source_company_id(self):
        return next(iter(self.context.records(COMPANY_MODEL)), {}).get("id")

    def _restoring_user_value(self, model):
        user = self.env.user
        return user.id if model == "res.users" else user.partner_id.id

    def _find_key(self, model, member, record):
        Model = self.env[model].sudo().with_context(active_test=False)
        if model == "res.users":
            user = Model.search([("login", "=", record.get("login"))], limit=1)
            if user and self.company in user.company_ids:
                return user.id
            self.relinked.append(record.get("login") or "?")
            return None
        if model == "res.partner":
            return self._find_partner_key(record)
        domain = []
        for name in member["fields"]:
            if name == "id":
                continue
            value = record.get(name)
            field = Model._fields[name]
            if field.type == "many2one" and value is not None:
                value = self.remap.get(field.comodel_name, value)
                if value is None:
                    return None
            if isinstance(value, dict):
                value = value.get("en_US")
            domain.append((name, "=", value if value is not None else False))
        found = Model.with_context(lang="en_US").search(domain, limit=2)
        return found.id if len(found) == 1 else None

    def _find_partner_key(self, record):
        for user_id in record.get("user_ids") or ():
            if user_id in self.relinked_ids["res.users"]:
                continue  # its partner is relinked along
            user = self.env["res.users"].sudo().browse(self.remap.get("res.users", user_id))
            if user.exists():
                return user.partner_id.id
        if record.get("ref_company_ids"):
            return self.company.partner_id.id
        return None

    # ------------------------------------------------------------------
    # Shared records this database already has
    # ------------------------------------------------------------------
    def matches(self, model):
        """Whether records of ``model`` may be matched to existing ones instead of written."""
        return model in self.matching_keys

    def may_match(self, model):
        """Whether records of ``model`` may be left unwritten: matched to existing ones, or
        children of such (see ``matched_parents``)."""
        rule = self.context.scope.rules.get(model)
        fields = self.env[model]._fields
        parents = {fields[parent].comodel_name for parent in rule.parents} if rule else ()
        return self.matches(model) or any(map(self.matches, parents))

    def load_existing(self, model):
        """Read the existing records of ``model`` once (before a COPY into its table runs)."""
        if model in self.matching_keys and model not in self.matched:
            self.matched[model] = self._existing_keys(model, self.matching_keys[model])

    def match_existing(self, model, record):
        """Records of no company that this database already has (same plan, category, attribute...)
        are not copied: the backup's references go to the existing record."""
        keys = self.matching_keys.get(model)
        if not keys or record.get("company_id"):
            return False
        self.load_existing(model)
        key = tuple(self._key_value(model, name, record.get(name)) for name in keys)
        existing = self.matched[model].get(key)
        if existing:
            self.remap.add(model, record["id"], existing)
            self.matched_ids.setdefault(model, set()).add(record["id"])
            self.context.counts[model] = self.context.counts.get(model, 0) + 1
        return bool(existing)

    def matched_parents(self, model):
        """The parent fields of ``model`` (see ScopeRule.parents) when records of each of their
        models were matched to existing ones and ``model`` has no key of its own: its records
        whose parents all were matched belong to those (a payment term's lines)."""
        rule = self.context.scope.rules.get(model)
        if not rule or not rule.parents or model in self.matching_keys:
            return []
        fields = self.env[model]._fields
        if all(fields[parent].comodel_name in self.matched_ids for parent in rule.parents):
            return list(rule.parents)
        return []

    def belongs_to_matched(self, model, record, parents):
        """Whether every parent of ``record`` was matched (a matched payment term's lines): the
        existing record keeps its own children, so this one is not written."""
        fields = self.env[model]._fields
        if all(record.get(parent) in self.matched_ids[fields[parent].comodel_name] for parent in parents):
            self.matched_ids.setdefault(model, set()).add(record["id"])
            self.context.counts[model] = self.context.counts.get(model, 0) + 1
            return True
        return False

    def _existing_keys(self, model, keys):
        Model = self.env[model].with_context(active_test=False, lang="en_US")
        domain = [("company_id", "=", False)] if "company_id" in Model._fields else []
        return {
            tuple(
                record[name].id if Model._fields[name].type == "many2one" else record[name] for name in keys
            ): (record.id)
            for record in Model.search(domain)
        }

    def _key_value(self, model, name, value):
        field = self.env[model]._fields[name]
        if field.type == "many2one":
            return self.remap.get(field.comodel_name, value) if value else False
        if isinstance(value, dict):
            return value.get("en_US", next(iter(value.values()), False))
        return value if value is not None else False
