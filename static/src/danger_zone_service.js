import { registry } from "@web/core/registry";

// The server sends "danger_zone.job_update" to the company owner whenever a
// backup starts, progresses or ends; an open Danger Zone page reloads itself.
export const dangerZoneService = {
    dependencies: ["bus_service", "action"],
    start(env, { bus_service, action }) {
        bus_service.subscribe("danger_zone.job_update", () => {
            if (document.querySelector(".o_danger_zone") && !document.querySelector(".modal")) {
                action.doAction({ type: "ir.actions.client", tag: "soft_reload" });
            }
        });
    },
};

registry.category("services").add("danger_zone", dangerZoneService);
