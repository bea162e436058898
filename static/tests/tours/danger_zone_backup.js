import { registry } from "@web/core/registry";

// The owner asks for a backup from Settings > Danger Zone.
registry.category("web_tour.tours").add("danger_zone_backup_request", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "Create Backup opens the options",
            trigger: ".o_danger_zone button[name=action_danger_zone_backup]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=file_format] input[data-value=zip]:checked",
        },
        {
            content: "Include attachments",
            trigger: ".modal .o_field_widget[name=with_attachments] input",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_backup]",
            run: "click",
        },
        {
            content: "The backup is listed as queued",
            trigger: ".o_danger_zone .o_field_one2many[name=danger_zone_backup_ids] .o_data_row:contains(Queued)",
        },
        {
            content: "A second request is refused while one is queued",
            trigger: ".o_danger_zone button[name=action_danger_zone_backup]",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_backup]",
            run: "click",
        },
        {
            content: "Close the error, then the options",
            trigger: ".modal:has(.modal-body:contains(already queued or running)) .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".modal .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// Once built, the backup shows as done with a Download button.
registry.category("web_tour.tours").add("danger_zone_backup_ready", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "The history chart draws the backup done",
            trigger: ".o_danger_zone .o_danger_zone_history svg rect.o_danger_zone_done",
        },
        {
            content: "Download opens the dialog: as it is, or encrypted with a passphrase",
            trigger: ".o_danger_zone .o_data_row:contains(Done) button[name=action_download]",
            run: "click",
        },
        {
            content: "The dialog warns that a lost passphrase means a lost backup",
            trigger: ".modal .o_danger_zone_download .alert-warning:contains(A lost passphrase means a lost backup)",
        },
        {
            trigger: ".modal .o_danger_zone_download input[name=passphrase]",
            run: "edit correct horse battery staple",
        },
        {
            trigger: ".modal .o_danger_zone_download input[name=passphrase_again]",
            run: "edit correct horse battery",
        },
        {
            content: "Two different passphrases: said, and no encrypted download",
            trigger: ".modal .o_danger_zone_mismatch:contains(The two passphrases differ)",
        },
        {
            trigger: ".modal button.o_danger_zone_download_encrypted:disabled",
        },
        {
            trigger: ".modal .o_danger_zone_download input[name=passphrase_again]",
            run: "edit correct horse battery staple",
        },
        {
            trigger: ".modal button.o_danger_zone_download_encrypted:enabled",
            run: "click",
        },
        {
            content: "The encrypted file was sent: the dialog closes without an error",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
