import { registry } from "@web/core/registry";

// The server sends "danger_zone.job_update" to the company owner whenever a
// backup or restore starts, progresses or ends; an open Danger Zone page
// reloads itself, and a finished restore takes the owner back to the
// dashboard, where every view shows the restored data.
export const dangerZoneService = {
    dependencies: ["bus_service", "action"],
    start(env, { bus_service, action }) {
        bus_service.subscribe("danger_zone.job_update", (job) => {
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
