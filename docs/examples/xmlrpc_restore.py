"""Check a backup against a company, then restore it there, over XML-RPC.

    python3 xmlrpc_restore.py URL DATABASE LOGIN PASSWORD_OR_API_KEY COMPANY_ID FILE
        [--merge] [--skip-invalid] [--upload]

The user must own the target company. The pre-flight check writes nothing and
says what the restore would do; the restore itself runs in the background
(a replace first takes a safety backup of the company). The script polls the
job and prints its report. Only the Python standard library is needed.

A small file travels inside the XML-RPC calls, base64-encoded. Odoo refuses
request bodies over 128 MiB, so a file over 64 MiB (or any file, with
--upload) is first sent to the upload route, a chunk at a time,
with an API key (Odoo: Preferences > Account Security > New API Key); the
calls then name the uploaded file by its attachment id.
"""

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from xmlrpc_backup import connect

INLINE_LIMIT = 64 * 1024 * 1024  # base64 makes it 4/3 larger; Odoo takes at most 128 MiB


def upload(url, api_key, company_id, path):
    """Send the file to the upload route; return the attachment id of the uploaded file."""
    boundary = uuid.uuid4().hex
    name = os.path.basename(path).replace('"', "")
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="ufile"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():  # multipart, as a browser sends a file, read 1 MB at a time
        yield head
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                yield chunk
        yield tail

    request = urllib.request.Request(
        f"{url}/danger_zone/api/restore/upload?{urllib.parse.urlencode({'company_id': company_id})}",
        data=body(),
        method="POST",
        headers={
            "Authorization": f"Bearer {api_key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + os.path.getsize(path) + len(tail)),
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)["attachment_id"]
    except urllib.error.HTTPError as error:
        answer = error.read().decode(errors="replace")
        try:
            answer = json.loads(answer)["error"]
        except (ValueError, KeyError):
            pass
        raise RuntimeError(f"upload refused ({error.code}): {answer}") from None


def preflight_uploaded(call, company_id, attachment_id, mode="replace"):
    """The pre-flight report of a file already uploaded (see ``upload``)."""
    return call(
        "res.company", "danger_zone_restore_attachment_preflight", [company_id], attachment_id, mode=mode
    )


def restore_uploaded(call, company_id, attachment_id, mode="replace", skip_invalid=False):
    """Queue the restore of a file already uploaded; return the id of the restore job."""
    return call(
        "res.company",
        "danger_zone_restore_attachment",
        [company_id],
        attachment_id,
        confirm="RESTORE",
        mode=mode,
        skip_invalid=skip_invalid,
    )


def preflight(call, company_id, path, mode="replace"):
    """The pre-flight report (a dict): ok, errors, warnings, counts per model..."""
    return call("res.company", "danger_zone_restore_preflight", [company_id], _encoded(path), mode=mode)


def request_restore(call, company_id, path, mode="replace", skip_invalid=False):
    """Queue the restore; return the id of its danger.zone.restore record."""
    return call(
        "res.company",
        "danger_zone_restore",
        [company_id],
        _encoded(path),
        confirm="RESTORE",
        mode=mode,
        skip_invalid=skip_invalid,
    )


def wait_until_done(call, restore_id, timeout=3600, poll_seconds=5):
    """Poll the restore until it ends; return its record (a dict) or raise with the reason."""
    deadline = time.monotonic() + timeout
    while True:
        [restore] = call(
            "danger.zone.restore", "read", [restore_id], ["state", "progress", "error", "report_text"]
        )
        if restore["state"] == "done":
            return restore
        if restore["state"] == "failed":
            raise RuntimeError(f"restore {restore_id} failed: {restore['error']}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"restore {restore_id} still {restore['state']} ({restore['progress']}%)")
        time.sleep(poll_seconds)


def _encoded(path):
    with open(path, "rb") as stream:
        return base64.b64encode(stream.read()).decode()


def main(argv):
    url, database, login, password, company_id, path = argv[:6]
    company_id, mode = int(company_id), "merge" if "--merge" in argv else "replace"
    call = connect(url, database, login, password)
    if "--upload" in argv or os.path.getsize(path) > INLINE_LIMIT:
        attachment_id = upload(url, password, company_id, path)
        report = preflight_uploaded(call, company_id, attachment_id, mode)
    else:
        attachment_id, report = None, preflight(call, company_id, path, mode)
    if not report["ok"]:
        raise SystemExit("refused:\n" + "\n".join(report["errors"]))
    if attachment_id:
        restore_id = restore_uploaded(call, company_id, attachment_id, mode, "--skip-invalid" in argv)
    else:
        restore_id = request_restore(call, company_id, path, mode, "--skip-invalid" in argv)
    print(wait_until_done(call, restore_id)["report_text"])


if __name__ == "__main__":
    main(sys.argv[1:])
