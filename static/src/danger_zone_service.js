import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";

// The server sends "danger_zone.job_update" to the company owner whenever a
// backup, restore or deletion starts, progresses or ends. An open Danger Zone
// page reloads itself; a finished restore takes the owner back to the
// dashboard, where every view shows the restored data; a finished deletion
// takes every page still working in the deleted company to the owner's
// remaining companies, or signs the owner out when none is left.
export const dangerZoneService = {
    dependencies: ["bus_service", "action", "company"],
    start(env, { bus_service, action, company }) {
        bus_service.subscribe("danger_zone.job_update", (job) => {
            if (job.model === "danger.zone.deletion" && job.state === "done") {
                if (company.activeCompanyIds.includes(job.company_id)) {
                    browser.location.assign(job.redirect);
                }
                return;
            }
            if (!document.querySelector(".o_danger_zone") || document.querySelector(".modal")) {
                return;
            }
            if (job.model === "danger.zone.restore" && job.state === "done") {
                action.doAction({ type: "ir.actions.client", tag: "home" });
            } else {
                action.doAction({ type: "ir.actions.client", tag: "soft_reload" });
            }
        });
    },
};

registry.category("services").add("danger_zone", dangerZoneService);
