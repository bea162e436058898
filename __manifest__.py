{
    "name": "Danger Zone",
    "summary": "Back up, restore or delete one company's business data, for its owner only",
    "version": "18.0.1.0.0",
    "category": "Administration",
    "author": "Danger Zone developers",
    "maintainers": ["danger-zone"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["base", "mail", "account"],
    "external_dependencies": {"python": ["openupgradelib"]},
    "data": [
        "security/danger_zone_security.xml",
        "security/ir.model.access.csv",
        "wizards/danger_zone_ownership_wizard_views.xml",
        "views/res_company_views.xml",
        "views/danger_zone_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["danger_zone/static/tests/tours/*.js"],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
}
