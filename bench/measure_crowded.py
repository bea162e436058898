"""A small company alone in its database, and among other companies that hold millions of
journal items: backup, restore and deletion, in alternating rounds (#21).

    python measure_crowded.py ALONE_DB CROWDED_DB COMPANY_NAME SMALL_FILE ROUNDS -- ODOO_BIN_COMMAND...

Each round, in each database: a backup of the company; a restore of SMALL_FILE (a backup of
the same company made in another database, so every record is checked) into a new company;
the deletion of that new company. Prints one Markdown row per round and database, then the
medians and the ratio of the crowded database to the other.
"""

import re
import statistics
import sys
import tempfile

from measure import backup_once, measure
from measure_restore import new_company, psql

OPERATIONS = ("backup", "restore", "deletion")


def one_round(odoo_command, database, company_name, small_file):
    """(backup build s, restore s, deletion s) of the operations, as the commands print them."""
    company_id = psql(database, f"SELECT id FROM res_company WHERE name = '{company_name}'")
    with tempfile.NamedTemporaryFile(suffix=".zip") as backup:
        _seconds, built, _mb, _records = backup_once(odoo_command, database, company_id, backup.name)
    target = new_company(odoo_command, database, company_id)
    _seconds, _mb, output = measure(
        [*odoo_command, "danger-zone", "restore", "-d", database, "--company", target, "-i", small_file,
         "--log-level=warn"]
    )  # fmt: skip
    restored = float(re.search(r"records restored into .* in ([\d.]+) s", output).group(1))
    name = psql(database, f"SELECT name FROM res_company WHERE id = {int(target)}")
    _seconds, _mb, output = measure(
        [*odoo_command, "danger-zone", "delete", "-d", database, "--company", target, "--yes", name,
         "--log-level=warn"]
    )  # fmt: skip
    deleted = float(re.search(r"records of .* deleted in ([\d.]+) s", output).group(1))
    return built, restored, deleted


def main(argv):
    split = argv.index("--")
    alone, crowded, company_name, small_file, rounds = argv[:split]
    odoo_command = argv[split + 1 :]
    databases = {"alone": alone, "crowded": crowded}
    times = {name: [] for name in databases}
    print("| round | database | journal items in the database | backup s | restore s | deletion s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for number in range(1, int(rounds) + 1):
        for name, database in databases.items():
            items = psql(database, "SELECT count(*) FROM account_move_line")
            result = one_round(odoo_command, database, company_name, small_file)
            times[name].append(result)
            cells = " | ".join(f"{seconds:.2f}" for seconds in result)
            print(f"| {number} | {name} | {int(items):,} | {cells} |", flush=True)
    print()
    for index, operation in enumerate(OPERATIONS):
        medians = {name: statistics.median(r[index] for r in results) for name, results in times.items()}
        ranges = {
            name: f"{min(r[index] for r in results):.2f} – {max(r[index] for r in results):.2f}"
            for name, results in times.items()
        }
        print(
            f"- {operation}: alone {medians['alone']:.2f} s ({ranges['alone']}), crowded "
            f"{medians['crowded']:.2f} s ({ranges['crowded']}): "
            f"{medians['crowded'] / medians['alone']:.2f} times"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
