"""Back up one company over XML-RPC and save the file.

    python3 xmlrpc_backup.py URL DATABASE LOGIN PASSWORD_OR_API_KEY COMPANY_ID OUTPUT [--json]

The user must own the company. The backup is built in the background: the
script polls its state, then downloads the file (valid for 24 hours).
Only the Python standard library is needed.
"""

import base64
import sys
import time
import xmlrpc.client


def connect(url, database, login, password):
    """Return ``call(model, method, *args, **kwargs)`` bound to an authenticated user."""
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(database, login, password, {})
    if not uid:
        raise SystemExit(f"login failed for {login}")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(database, uid, password, model, method, list(args), kwargs)

    return call


def request_backup(call, company_id, file_format="zip"):
    """Queue a backup; return the id of its danger.zone.backup record."""
    return call("res.company", "danger_zone_backup", [company_id], file_format=file_format)


def wait_until_done(call, backup_id, timeout=3600, poll_seconds=5):
    """Poll the backup until it is done; return its record (a dict)."""
    deadline = time.monotonic() + timeout
    while True:
        [backup] = call(
            "danger.zone.backup", "read", [backup_id], ["state", "progress", "error", "attachment_id"]
        )
        if backup["state"] == "done":
            return backup
        if backup["state"] in ("failed", "expired"):
            raise RuntimeError(f"backup {backup_id} is {backup['state']}: {backup['error']}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"backup {backup_id} still {backup['state']} ({backup['progress']}%)")
        time.sleep(poll_seconds)


def download(call, backup, output):
    """Write the backup's file to ``output``; return its size in bytes."""
    [attachment] = call("ir.attachment", "read", [backup["attachment_id"][0]], ["datas"])
    content = base64.b64decode(attachment["datas"])
    with open(output, "wb") as stream:
        stream.write(content)
    return len(content)


def main(argv):
    url, database, login, password, company_id, output = argv[:6]
    call = connect(url, database, login, password)
    backup_id = request_backup(call, int(company_id), "json" if "--json" in argv else "zip")
    size = download(call, wait_until_done(call, backup_id), output)
    print(f"backup {backup_id}: {size} bytes written to {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
