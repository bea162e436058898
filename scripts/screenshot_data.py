# Run by scripts/screenshots.sh through `odoo-bin shell`, which provides `env`: Sample Trading Co
# with daily backups on, two backups taken by its owner and a daily one that went through last
# night's trial restore (once); prints the company's id.
company = env["res.company"].search([("name", "=", "Sample Trading Co")], limit=1)
owner = company.danger_zone_owner_id
Backups = env["danger.zone.backup"].with_user(owner)
if not Backups.sudo().search_count([("company_id", "=", company.id)]):
    company.with_user(owner).danger_zone_daily_backup = True
    for options in ({}, {"with_attachments": True}, {"trigger": "daily"}):
        Backups.sudo()._request(company, **options)
        Backups.sudo()._cron_process_queue()  # commits
    Backups.sudo()._cron_trial_restore()
    env.cr.commit()
print("COMPANY", company.id)
