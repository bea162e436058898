import { registry } from "@web/core/registry";

const TOUR_FILE = "danger_zone_tour_backup.zip";

// The backup file the test left for the owner, as a File the upload field accepts.
async function tourBackupFile(name = TOUR_FILE) {
    const response = await fetch("/web/dataset/call_kw/ir.attachment/search_read", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
            jsonrpc: "2.0",
            method: "call",
            params: {
                model: "ir.attachment",
                method: "search_read",
                args: [[["name", "=", name]], ["datas"]],
                kwargs: {},
            },
        }),
    });
    const { result } = await response.json();
    const bytes = Uint8Array.from(atob(result[0].datas), (char) => char.charCodeAt(0));
    return new File([bytes], name, { type: "application/octet-stream" });
}

// Hold the upload's request ``milliseconds`` before it is sent (other requests go at once).
function holdUpload(milliseconds) {
    const { open, send } = XMLHttpRequest.prototype;
    XMLHttpRequest.prototype.open = function (method, url, ...rest) {
        this.danger_zone_upload = String(url).includes("/danger_zone/restore/upload");
        return open.call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function (body) {
        if (!this.danger_zone_upload) {
            return send.call(this, body);
        }
        Object.assign(XMLHttpRequest.prototype, { open, send });
        setTimeout(() => send.call(this, body), milliseconds);
    };
}

// The owner uploads a backup, reads the pre-flight check, types RESTORE and starts the restore.
registry.category("web_tour.tours").add("danger_zone_restore_request", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            content: "Restore Data opens the wizard",
            trigger: ".o_danger_zone button[name=action_danger_zone_restore]",
            run: "click",
        },
        {
            content: "Upload the backup file: it goes up through the upload route",
            trigger: ".modal .o_field_widget[name=upload_id] .o_danger_zone_upload input[type=file]:not(:visible)",
            async run() {
                const transfer = new DataTransfer();
                transfer.items.add(await tourBackupFile());
                holdUpload(1500); // a small file goes up at once: long enough to see the bar
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "A progress bar shows while the file goes up",
            trigger: ".modal .o_danger_zone_upload .progress[role=progressbar]",
        },
        {
            content: "Once uploaded, the wizard names the file",
            trigger: `.modal .o_danger_zone_upload_name:contains(${TOUR_FILE})`,
        },
        {
            trigger: ".modal button[name=action_check]",
            run: "click",
        },
        {
            content: "The pre-flight check says what would happen",
            trigger: ".modal .o_field_widget[name=check_report]:contains(The restore can run)",
        },
        {
            trigger: ".modal .o_field_widget[name=check_report]:contains(account.move)",
        },
        {
            content: "Without the confirmation nothing starts",
            trigger: ".modal .o_field_widget[name=confirm] input",
            run: "edit restore",
        },
        {
            trigger: ".modal button[name=action_restore]",
            run: "click",
        },
        {
            trigger: ".modal:has(.modal-body:contains(Type RESTORE)) .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=confirm] input",
            run: "edit RESTORE",
        },
        {
            trigger: ".modal button[name=action_restore]",
            run: "click",
        },
        {
            content: "The restore is listed as queued",
            trigger: ".o_danger_zone .o_field_one2many[name=danger_zone_restore_ids] .o_data_row:contains(Queued)",
        },
    ],
});

// Once run, the restore shows as done.
registry.category("web_tour.tours").add("danger_zone_restore_done", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            trigger: ".o_danger_zone .o_field_one2many[name=danger_zone_restore_ids] .o_data_row:contains(Done)",
        },
    ],
});

// The owner uploads a backup encrypted with a passphrase: the wizard asks for it, says when it is
// wrong, and with the right one the file is the backup again, which the check accepts.
registry.category("web_tour.tours").add("danger_zone_restore_encrypted", {
    steps: () => [
        {
            trigger: ".o_main_navbar [data-menu-xmlid='danger_zone.menu_danger_zone']",
            run: "click",
        },
        {
            trigger: ".o_danger_zone button[name=action_danger_zone_restore]",
            run: "click",
        },
        {
            content: "Upload the encrypted backup",
            trigger: ".modal .o_field_widget[name=upload_id] .o_danger_zone_upload input[type=file]:not(:visible)",
            async run() {
                const transfer = new DataTransfer();
                transfer.items.add(await tourBackupFile(`${TOUR_FILE}.age`));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The wizard knows the file is encrypted and asks for its passphrase",
            trigger: ".modal .o_danger_zone_decrypt:contains(The file is encrypted) input[name=passphrase]",
            run: "edit not the passphrase",
        },
        {
            trigger: ".modal .o_danger_zone_decrypt button:contains(Decrypt):enabled",
            run: "click",
        },
        {
            content: "A wrong passphrase is said, and the file stays as it was",
            trigger: ".modal .o_danger_zone_upload_error:contains(the passphrase is wrong)",
        },
        {
            trigger: ".modal .o_danger_zone_decrypt input[name=passphrase]",
            run: "edit correct horse battery staple",
        },
        {
            trigger: ".modal .o_danger_zone_decrypt button:contains(Decrypt):enabled",
            run: "click",
        },
        {
            content: "Decrypted, the upload is the backup again",
            trigger: `.modal .o_danger_zone_upload:not(:has(.o_danger_zone_decrypt)) .o_danger_zone_upload_name:contains(${TOUR_FILE})`,
        },
        {
            trigger: ".modal button[name=action_check]",
            run: "click",
        },
        {
            content: "The pre-flight check reads the decrypted file",
            trigger: ".modal .o_field_widget[name=check_report]:contains(The restore can run)",
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
