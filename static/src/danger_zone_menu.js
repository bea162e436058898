import { registry } from "@web/core/registry";
import { session } from "@web/session";

// Odoo loads menus once per user, whatever the current company. Settings >
// Danger Zone is only shown while the current company is one the user owns;
// the server refuses the page for any other company anyway.
const DANGER_ZONE_MENU = "danger_zone.menu_danger_zone";
const services = registry.category("services");
const menuService = services.get("menu");

function hideUnlessOwner(menus, company) {
    const owned = session.danger_zone_owned_company_ids || [];
    if (owned.includes(company.currentCompany?.id)) {
        return;
    }
    for (const menu of menus.getAll()) {
        if (menu.children) {
            menu.children = menu.children.filter((id) => menus.getMenu(id)?.xmlid !== DANGER_ZONE_MENU);
        }
    }
}

services.add(
    "menu",
    {
        ...menuService,
        dependencies: [...menuService.dependencies, "company"],
        async start(env, dependencies) {
            const menus = await menuService.start(env, dependencies);
            hideUnlessOwner(menus, dependencies.company);
            const reload = menus.reload;
            menus.reload = async () => {
                await reload.call(menus);
                hideUnlessOwner(menus, dependencies.company);
            };
            return menus;
        },
    },
    { force: true }
);
