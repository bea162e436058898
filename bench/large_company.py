# Run through `odoo-bin shell` (provides env). The large-file benchmark's company: the sample
# company with DZ_BENCH_FILES files of 10 MB of random bytes (they do not compress) attached to
# its contacts, an API key for the admin and an empty company to restore into.
import os
import uuid

from odoo.addons.danger_zone.demo.sample_company import create_sample_company

files, megabytes = int(os.environ["DZ_BENCH_FILES"]), 10
admin = env.ref("base.user_admin")
admin.groups_id |= env.ref("account.group_account_manager")
company = env["res.company"].search([("name", "=", "Large Bench Co")]) or create_sample_company(
    env, "Large Bench Co", admin
)
env.cr.commit()
partners = env["res.partner"].search([("company_id", "=", company.id)])
Attachments = env["ir.attachment"]
scans = [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids), ("name", "=like", "scan-%")]
for number in range(Attachments.search_count(scans), files):
    Attachments.create(
        {
            "name": f"scan-{number}.bin",
            "raw": os.urandom(megabytes << 20),
            "res_model": "res.partner",
            "res_id": partners[number % len(partners)].id,
            "company_id": company.id,
        }
    )
    env.cr.commit()
target = (
    env["res.company"]
    .with_user(admin)
    .create(
        {
            "name": f"Large Restored Co {uuid.uuid4().hex[:6]}",
            "account_fiscal_country_id": company.account_fiscal_country_id.id,  # as its taxes need
        }
    )
)
admin.company_ids |= target
key = env["res.users.apikeys"].with_user(admin)._generate("rpc", "large file benchmark", None)
env.cr.commit()
print("LARGE", company.id, target.id, key)
