"""18.0.1.30.0: a deletion's final backup is downloaded by whoever asked for the deletion, and
its downloads are recorded like a backup's. The record rule on downloads is in a noupdate block:
give it the new domain here."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("danger_zone.rule_danger_zone_backup_download_owner", raise_if_not_found=False)
    if rule:
        rule.write(
            {
                "name": "Danger Zone backup downloads: company owner, or the deletion's requester",
                "domain_force": "['|', ('company_id.danger_zone_owner_id', '=', user.id), "
                "('deletion_id.requested_by_id', '=', user.id)]",
            }
        )
