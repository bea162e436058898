from .services.reference_indexes import drop_reference_indexes


def post_init_hook(env):
    """Give every existing company an owner: its creator, else the admin user.

    A company created by the system (OdooBot) at install time, or by a user
    who is gone or not internal, is owned by ``base.user_admin``.
    """
    admin = env.ref("base.user_admin", raise_if_not_found=False)
    companies = env["res.company"].with_context(active_test=False).search([])
    for company in companies.filtered(lambda c: not c.danger_zone_owner_id):
        creator = company.create_uid
        if not creator or creator._is_superuser() or not creator.active or not creator._is_internal():
            creator = admin
        company.sudo().danger_zone_owner_id = creator
    companies._danger_zone_sync_owner_group()


def uninstall_hook(env):
    """Drop the indexes Danger Zone added to other modules' tables (services/reference_indexes.py)."""
    drop_reference_indexes(env.cr)
