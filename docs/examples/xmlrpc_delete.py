"""Delete a company and all its data, over XML-RPC.

    python3 xmlrpc_delete.py URL DATABASE LOGIN PASSWORD_OR_API_KEY COMPANY_ID "EXACT COMPANY NAME"

The user must own the company. The script prints the preview (what would be
deleted, and what stops it), then asks for the deletion with the company's
exact name and the password again (an API key works too), and polls the
deletion until it ends. Users of the company keep their accounts: they move to
another of their companies, or are archived when they have none left (the
owner too: the last poll then fails to log in, and the deletion is done).
Only the Python standard library is needed.
"""

import sys
import time

from xmlrpc_backup import connect


def preview(call, company_id):
    """The preview (a dict): ok, blockers, counts per model, moved and archived logins."""
    return call("res.company", "danger_zone_delete_preview", [company_id])


def request_deletion(call, company_id, company_name, password):
    """Queue the deletion; return the id of its danger.zone.deletion record."""
    return call("res.company", "danger_zone_delete", [company_id], company_name, password)


def wait_until_done(call, deletion_id, timeout=3600, poll_seconds=5):
    """Poll the deletion until it ends; return its record (a dict) or raise with the reason."""
    deadline = time.monotonic() + timeout
    while True:
        [deletion] = call(
            "danger.zone.deletion", "read", [deletion_id], ["state", "progress", "error", "report_text"]
        )
        if deletion["state"] == "done":
            return deletion
        if deletion["state"] == "failed":
            raise RuntimeError(f"deletion {deletion_id} failed: {deletion['error']}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"deletion {deletion_id} still {deletion['state']} ({deletion['progress']}%)")
        time.sleep(poll_seconds)


def main(argv):
    url, database, login, password, company_id, company_name = argv[:6]
    call = connect(url, database, login, password)
    report = preview(call, int(company_id))
    for model, count in sorted(report["counts"].items()):
        print(f"{count:>10}  {model}")
    if not report["ok"]:
        raise SystemExit("refused:\n" + "\n".join(report["blockers"]))
    deletion_id = request_deletion(call, int(company_id), company_name, password)
    print(wait_until_done(call, deletion_id)["report_text"])


if __name__ == "__main__":
    main(sys.argv[1:])
