import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const UPLOAD_ROUTE = "/danger_zone/restore/upload";
const DECRYPT_ROUTE = "/danger_zone/restore/decrypt";

/**
 * Send a backup file to the upload route, as Odoo's own uploads go (multipart, the file in
 * ``ufile``; the browser streams it), reporting progress; resolve with the route's answer.
 */
export function uploadBackup(file, companyId, onProgress) {
    const body = new FormData();
    body.append("ufile", file);
    const url = `${UPLOAD_ROUTE}?${new URLSearchParams({ company_id: companyId })}`;
    return post(url, body, onProgress);
}

/** Decrypt an uploaded age file with its passphrase; resolve with the route's answer. */
export function decryptUpload(uploadId, passphrase) {
    const body = new FormData();
    body.append("upload_id", uploadId);
    body.append("passphrase", passphrase);
    return post(DECRYPT_ROUTE, body);
}

function post(url, body, onProgress) {
    body.append("csrf_token", odoo.csrf_token);
    return new Promise((resolve, reject) => {
        const request = new XMLHttpRequest();
        request.open("POST", url);
        request.upload.addEventListener("progress", (event) => {
            if (event.lengthComputable && onProgress) {
                onProgress(event.loaded / event.total);
            }
        });
        request.addEventListener("load", () => {
            let answer = {};
            try {
                answer = JSON.parse(request.responseText);
            } catch {
                answer = { error: request.statusText || _t("The upload failed.") };
            }
            if (request.status === 200 && !answer.error) {
                resolve(answer);
            } else {
                reject(new Error(answer.error || request.statusText));
            }
        });
        request.addEventListener("error", () =>
            reject(new Error(_t("The upload was interrupted. Check the connection and try again.")))
        );
        request.send(body);
    });
}

/** The wizard's backup file: chosen, uploaded with a progress bar, then named by its upload. */
export class DangerZoneUploadField extends Component {
    static template = "danger_zone.UploadField";
    static props = { ...standardFieldProps };

    setup() {
        this.state = useState({ progress: null, error: "", encrypted: false, passphrase: "", busy: false });
    }

    get fileName() {
        const value = this.props.record.data[this.props.name];
        return value ? value[1] : "";
    }

    get percent() {
        return Math.round(100 * this.state.progress);
    }

    async onFileChange(event) {
        const [file] = event.target.files;
        if (!file) {
            return;
        }
        this.state.error = "";
        const limitMb = this.props.record.data.upload_limit_mb;
        if (limitMb && file.size > limitMb * 1024 * 1024) {
            // the server would refuse it too, but only once the browser has sent it all
            this.state.error = _t(
                "The file is %(size)s MB, above the limit of %(limit)s MB (system parameter danger_zone.upload_limit_mb).",
                { size: (file.size / 1024 / 1024).toFixed(1), limit: limitMb }
            );
            event.target.value = "";
            return;
        }
        this.state.progress = 0;
        try {
            const companyId = this.props.record.data.company_id[0];
            const answer = await uploadBackup(file, companyId, (done) => {
                this.state.progress = done;
            });
            await this.props.record.update({ [this.props.name]: [answer.upload_id, answer.name] });
            this.state.encrypted = answer.encrypted;
            this.state.passphrase = "";
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.progress = null;
            event.target.value = "";
        }
    }

    onPassphraseKeydown(event) {
        if (event.key === "Enter" && this.state.passphrase && !this.state.busy) {
            event.preventDefault();
            this.onDecrypt();
        }
    }

    async onDecrypt() {
        const value = this.props.record.data[this.props.name];
        this.state.busy = true;
        this.state.error = "";
        try {
            const answer = await decryptUpload(value[0], this.state.passphrase);
            await this.props.record.update({ [this.props.name]: [answer.upload_id, answer.name] });
            this.state.encrypted = false;
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.passphrase = "";
            this.state.busy = false;
        }
    }
}

registry.category("fields").add("danger_zone_upload", {
    component: DangerZoneUploadField,
    supportedTypes: ["many2one"],
});
