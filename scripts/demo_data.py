# Run by scripts/run.sh through `odoo-bin shell`, which provides `env`.
from odoo.addons.danger_zone.demo.sample_company import create_sample_company

admin = env.ref("base.user_admin")
admin.groups_id |= env.ref("account.group_account_manager")
for name in ("Sample Trading Co", "Second Sample Co"):
    company = create_sample_company(env, name, admin)
    print(f"created {company.name} (id {company.id}), owned by {company.danger_zone_owner_id.login}")
env.cr.commit()  # odoo-bin shell rolls back otherwise
