"""Time `odoo-bin danger-zone delete` of one company and read its peak memory.

    python measure_delete.py DATABASE COMPANY_ID -- ODOO_BIN_COMMAND...

Prints a Markdown table: journal items and records deleted, seconds for the
whole command and for the deletion itself (as the command reports it), and
the command's peak RSS.
"""

import os
import re
import subprocess
import sys
import time


def journal_items(database, company_id):
    query = f"SELECT count(*) FROM account_move_line WHERE company_id = {int(company_id)}"
    return int(subprocess.check_output(["psql", "-d", database, "-Atc", query], text=True))


def main(argv):
    database, company_id = argv[0], argv[1]
    odoo = argv[argv.index("--") + 1 :]
    name = subprocess.check_output(
        ["psql", "-d", database, "-Atc", f"SELECT name FROM res_company WHERE id = {int(company_id)}"],
        text=True,
    ).strip()
    items = journal_items(database, company_id)
    command = [*odoo, "danger-zone", "delete", "-d", database, "--company", company_id, "--yes", name]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    _pid, status, usage = os.wait4(process.pid, 0) if process.returncode is None else (0, 0, None)
    elapsed = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"the deletion failed:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    match = re.search(r"(\d+) records of .* deleted in ([\d.]+) s", stdout)
    records, deletion = match.group(1), match.group(2)
    peak = (usage.ru_maxrss / 1024) if usage else _peak_from_proc()
    print("| journal items | records deleted | command s | deletion s | peak RSS MB |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {items} | {records} | {elapsed:.1f} | {deletion} | {peak:.0f} |")


def _peak_from_proc():
    import resource  # noqa: PLC0415 - children's peak RSS once they are reaped

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


if __name__ == "__main__":
    main(sys.argv[1:])
