"""Time and peak memory of pg_dump -Fc and of a Danger Zone backup of the same company.

Usage (bench/backup_benchmark.sh sets it up):
    python measure.py DB COMPANY_ID TABLES_FILE OUT_DIR -- ODOO_BIN_COMMAND...
Prints one Markdown table row per measurement.
"""

import os
import subprocess
import sys
import time


def measure(command, check=True, **kwargs):
    """Run ``command``; return (seconds, peak RSS in MB, output) of that process alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    output = process.stdout.read().decode() + process.stderr.read().decode()
    if check and os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed:\n{output[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, output


def main(argv):
    split = argv.index("--")
    database, company_id, tables_file, out_dir = argv[:split]
    odoo_command = argv[split + 1 :]
    tables = open(tables_file).read().split()
    dump = os.path.join(out_dir, "business.dump")
    pg_seconds, pg_mb, _ = measure(
        ["pg_dump", "-Fc", "-f", dump, *[f"--table={t}" for t in tables], database]
    )
    backup = os.path.join(out_dir, "backup.zip")
    dz_seconds, dz_mb, output = measure(
        [
            *odoo_command,
            "danger-zone",
            "backup",
            "-d",
            database,
            "--company",
            company_id,
            "-o",
            backup,
            "--log-level=warn",
        ]
    )
    lines = output.splitlines()
    records = next(line for line in lines if "records of" in line).split()[0]
    built = float(next(line for line in lines if line.startswith("built in")).split()[2])
    print(
        "| records | pg_dump -Fc s | backup s (command / build) | ratio (command / build) "
        "| peak RSS MB (pg_dump / backup) | file MB (dump / backup) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {records} | {pg_seconds:.2f} | {dz_seconds:.2f} / {built:.2f} "
        f"| {dz_seconds / pg_seconds:.1f} / {built / pg_seconds:.1f} | {pg_mb:.0f} / {dz_mb:.0f} "
        f"| {os.path.getsize(dump) / 1e6:.1f} / {os.path.getsize(backup) / 1e6:.1f} |"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
