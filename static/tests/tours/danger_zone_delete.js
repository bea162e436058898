import { registry } from "@web/core/registry";

// The owner reads what would be deleted, types the company's name and their
// password, and starts the deletion (the test's owner password is fixed).
registry.category("web_tour.tours").add("danger_zone_delete_request", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "Delete Company opens the wizard with its preview",
            trigger: ".o_danger_zone button[name=action_danger_zone_delete]",
            run: "click",
        },
        {
            content: "The preview says what goes",
            trigger: ".modal .o_field_widget[name=preview]:contains(res.company)",
        },
        {
            trigger: ".modal .o_field_widget[name=users_preview]:contains(dz_user)",
        },
        {
            content: "A final backup is taken unless the owner unticks it",
            trigger: ".modal .o_field_widget[name=final_backup] input:checked",
        },
        {
            content: "A name that is not exactly the company's is refused",
            trigger: ".modal .o_field_widget[name=confirm_name] input",
            run: "edit danger zone test co",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input",
            run: "edit owner-Pa55word",
        },
        {
            trigger: ".modal button[name=action_delete]",
            run: "click",
        },
        {
            trigger: ".modal:has(.modal-body:contains(exactly as shown)) .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=confirm_name] input",
            run: "edit Danger Zone Test Co",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input",
            run: "edit owner-Pa55word",
        },
        {
            trigger: ".modal button[name=action_delete]",
            run: "click",
        },
        {
            content: "The deletion is listed as queued",
            trigger:
                ".o_danger_zone .o_field_widget[name=danger_zone_deletion_ids] .o_data_row:contains(Queued):contains(Danger Zone Test Co)",
        },
    ],
});

// Once the company is gone, its deletion holds the final backup: the owner downloads it.
registry.category("web_tour.tours").add("danger_zone_final_backup_download", {
    steps: () => [
        {
            content: "The deletion says what its final backup is",
            trigger: ".o_form_view .o_field_widget[name=file_name]:contains(danger-zone-)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=expires_at]",
        },
        {
            content: "Download the Final Backup opens the download dialog",
            trigger: ".o_form_view button[name=action_download]",
            run: "click",
        },
        {
            trigger: ".modal .o_danger_zone_download .alert-warning:contains(A lost passphrase means a lost backup)",
        },
        {
            trigger: ".modal button.o_danger_zone_download_plain",
            run: "click",
        },
        {
            content: "The file was sent: the dialog closes without an error",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
