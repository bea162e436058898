import { registry } from "@web/core/registry";

// The owner opens Settings > Danger Zone, sees the warning and the owner,
// and opens the Transfer Ownership wizard without confirming it.
registry.category("web_tour.tours").add("danger_zone_settings_page", {
    steps: () => [
        {
            content: "Open Danger Zone from the Settings menu",
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "The page warns that its actions are irreversible",
            trigger: ".o_danger_zone .alert-danger:contains(cannot be undone)",
        },
        {
            content: "The page says that a lost passphrase means a lost backup",
            trigger: ".o_danger_zone .o_danger_zone_encryption_warning:contains(a lost passphrase or identity file means a lost backup)",
        },
        {
            content: "The page shows the owner",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_owner_id]:contains(Olivia Owner)",
        },
        {
            content: "Open the Transfer Ownership wizard",
            trigger: ".o_danger_zone button[name=action_danger_zone_transfer_ownership]",
            run: "click",
        },
        {
            content: "The wizard asks for the new owner and the password",
            trigger: ".modal .o_field_widget[name=new_owner_id]",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input[type=password]",
        },
        {
            content: "Cancel: nothing changes",
            trigger: ".modal .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// The owner turns daily backups on, sets when to be alerted and where to copy backups, and saves.
registry.category("web_tour.tours").add("danger_zone_backup_settings", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "Turn daily backups on",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_daily_backup] input",
            run: "click",
        },
        {
            content: "Be alerted after three days without a daily backup",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_alert_days] input",
            run: "edit 3",
        },
        {
            content: "Copy the backups to a storage of fs_storage",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_backup_storage] select",
            run: "selectByLabel Tour Copies",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});

// An owner whose current company is not one of theirs has no Danger Zone menu.
registry.category("web_tour.tours").add("danger_zone_menu_hidden_for_other_company", {
    steps: () => [
        {
            content: "Settings is open",
            trigger: ".o_main_navbar [data-menu-xmlid='base.menu_users']",
        },
        {
            trigger: ".o_main_navbar:not(:has([data-menu-xmlid='danger_zone.menu_danger_zone']))",
        },
    ],
});

// Last night's checks: the page says the newest daily backup was restorable and copied, and
// its row says so too.
registry.category("web_tour.tours").add("danger_zone_trial_and_copy_status", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "The last trial restore: restorable, and when",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_last_trial]:contains(Restorable, checked on)",
        },
        {
            content: "The last remote copy: copied, where and when",
            trigger: ".o_danger_zone .o_field_widget[name=danger_zone_last_copy]:contains(Copied, to dz_tour on)",
        },
        {
            content: "The daily backup's row shows both outcomes",
            trigger:
                ".o_danger_zone .o_data_row:contains(Daily):has(.o_field_widget[name=trial_state]:contains(Restorable)):has(.o_field_widget[name=copy_state]:contains(Copied))",
        },
    ],
});
