"""Check a backup against a company, then restore it there, over XML-RPC.

    python3 xmlrpc_restore.py URL DATABASE LOGIN PASSWORD_OR_API_KEY COMPANY_ID FILE
        [--merge] [--skip-invalid]

The user must own the target company. The pre-flight check writes nothing and
says what the restore would do; the restore itself runs in the background
(a replace first takes a safety backup of the company). The script polls the
job and prints its report. Only the Python standard library is needed.
"""

import base64
import sys
import time

from xmlrpc_backup import connect


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
    mode = "merge" if "--merge" in argv else "replace"
    call = connect(url, database, login, password)
    report = preflight(call, int(company_id), path, mode)
    if not report["ok"]:
        raise SystemExit("refused:\n" + "\n".join(report["errors"]))
    restore_id = request_restore(call, int(company_id), path, mode, "--skip-invalid" in argv)
    print(wait_until_done(call, restore_id)["report_text"])


if __name__ == "__main__":
    main(sys.argv[1:])
