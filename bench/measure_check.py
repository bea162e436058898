"""The pre-flight check of a file from another database, by two checkouts of the addon in turn.

Usage (bench/check_benchmark.sh sets it up):
    python measure_check.py DB COMPANY_ID BACKUP ROUNDS -- NAME=ADDONS_PATH ... -- ODOO_BIN_COMMAND...
Each round runs ``danger-zone restore --dry-run`` of BACKUP into a new company of a copy of DB
whose database uuid differs (so every record is checked), once per checkout, and reads the
phases the restore logs. Prints a Markdown table of medians and ranges.
"""

import re
import statistics
import subprocess
import sys

from measure_restore import new_company, psql

TARGET_DB = "dz_bench_check_target"
PHASE = re.compile(r"restore: (.+?) in ([\d.]+) s")


def main(argv):
    first = argv.index("--")
    second = argv.index("--", first + 1)
    database, company_id, backup, rounds = argv[:first]
    checkouts = dict(item.split("=", 1) for item in argv[first + 1 : second])
    odoo_command = argv[second + 1 :]
    commands = {name: [*odoo_command, f"--addons-path={path}"] for name, path in checkouts.items()}
    target = prepare_target(database, company_id, next(iter(commands.values())))
    phases = {name: {} for name in checkouts}
    for _round in range(int(rounds)):
        for name, command in commands.items():
            output = subprocess.run(
                [
                    *command,
                    "danger-zone",
                    "restore",
                    "-d",
                    TARGET_DB,
                    "--company",
                    target,
                    "-i",
                    backup,
                    "--dry-run",
                    "--log-level=info",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if "the restore can run" not in output.stdout:
                raise SystemExit(
                    f"{name}: the check refused the file:\n{output.stdout[-2000:]}{output.stderr[-2000:]}"
                )
            for phase, seconds in PHASE.findall(output.stderr + output.stdout):
                phases[name].setdefault(phase, []).append(float(seconds))
    subprocess.run(["dropdb", TARGET_DB], check=True)
    print_table(phases, rounds)


def prepare_target(database, company_id, odoo_command):
    subprocess.run(["dropdb", "--if-exists", TARGET_DB], check=True)
    subprocess.run(["createdb", "-T", database, TARGET_DB], check=True)
    psql(TARGET_DB, "UPDATE ir_config_parameter SET value = gen_random_uuid() WHERE key = 'database.uuid'")
    return new_company(odoo_command, TARGET_DB, company_id)


def print_table(phases, rounds):
    names = list(phases)
    print(f"| phase ({rounds} rounds, s: median (range)) | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for phase in dict.fromkeys(p for name in names for p in phases[name]):
        cells = []
        for name in names:
            times = phases[name].get(phase)
            cells.append(
                f"{statistics.median(times):.2f} ({min(times):.2f} – {max(times):.2f})" if times else "–"
            )
        print(f"| {phase} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
