import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { download } from "@web/core/network/download";
import { registry } from "@web/core/registry";

const DOWNLOAD_ROUTE = "/danger_zone/backup/download";

/**
 * Download a backup (or a deletion's final backup) as it is, or encrypted with a passphrase
 * typed twice (age format). The passphrase goes to the download route with the request and is
 * kept nowhere.
 */
export class DangerZoneDownloadDialog extends Component {
    static template = "danger_zone.DownloadDialog";
    static components = { Dialog };
    static props = {
        model: String,
        recordId: Number,
        fileName: String,
        encryptedTo: { type: String, optional: true },
        close: Function,
    };

    setup() {
        this.state = useState({ passphrase: "", again: "", error: "", busy: false });
    }

    get mismatch() {
        return this.state.again && this.state.passphrase !== this.state.again;
    }

    get canEncrypt() {
        return this.state.passphrase && this.state.passphrase === this.state.again && !this.state.busy;
    }

    async downloadEncrypted() {
        await this.send(this.state.passphrase, this.state.again);
    }

    async downloadPlain() {
        await this.send("", "");
    }

    async send(passphrase, again) {
        this.state.busy = true;
        this.state.error = "";
        try {
            await download({
                url: DOWNLOAD_ROUTE,
                data: {
                    model: this.props.model,
                    record_id: this.props.recordId,
                    passphrase,
                    passphrase_again: again,
                },
            });
            this.props.close();
        } catch (error) {
            this.state.error = error.data?.message || error.message || _t("The download failed.");
        } finally {
            this.state.busy = false;
        }
    }
}

registry.category("actions").add("danger_zone_download", (env, action) => {
    const { model, record_id, file_name, encrypted_to } = action.params;
    env.services.dialog.add(DangerZoneDownloadDialog, {
        model,
        recordId: record_id,
        fileName: file_name,
        encryptedTo: encrypted_to || "",
    });
});
