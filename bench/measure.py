"""Time and peak memory of pg_dump -Fc and of a Danger Zone backup of the same company.

Usage (bench/backup_benchmark.sh sets it up):
    python measure.py DB COMPANY_ID TABLES_FILE OUT_DIR [ROUNDS] -- ODOO_BIN_COMMAND...
The two run in turn, ROUNDS times (default 5): this machine's speed drifts by
a third within minutes, so each round compares runs made seconds apart.
Prints one Markdown table row per round, then the medians.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(command, check=True, **kwargs):
    """Run ``command``; return (seconds, peak RSS in MB, output) of that process alone."""
    # files, not pipes: a process that writes more than a pipe holds would wait for us forever
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, **kwargs)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        output = stdout.read().decode() + stderr.read().decode()
    if check and os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed:\n{output[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, output


def backup_once(odoo_command, database, company_id, backup):
    """One backup through the command line: (command seconds, build seconds, MB, records)."""
    seconds, mb, output = measure(
        [*odoo_command, "danger-zone", "backup", "-d", database, "--company", company_id, "-o", backup,
         "--log-level=warn"]
    )  # fmt: skip
    lines = output.splitlines()
    records = next(line for line in lines if "records of" in line).split()[0]
    built = float(next(line for line in lines if line.startswith("built in")).split()[2])
    return seconds, built, mb, records


def main(argv):
    split = argv.index("--")
    database, company_id, tables_file, out_dir, *rounds = argv[:split]
    odoo_command = argv[split + 1 :]
    tables = open(tables_file).read().split()
    dump = os.path.join(out_dir, "business.dump")
    backup = os.path.join(out_dir, "backup.zip")
    print(
        "| round | records | pg_dump -Fc s | backup s (command / build) | ratio (command / build) "
        "| peak RSS MB (pg_dump / backup) | file MB (dump / backup) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    results = []
    for number in range(1, int(rounds[0] if rounds else 5) + 1):
        pg_seconds, pg_mb, _ = measure(
            ["pg_dump", "-Fc", "-f", dump, *[f"--table={t}" for t in tables], database]
        )
        dz_seconds, built, dz_mb, records = backup_once(odoo_command, database, company_id, backup)
        results.append((pg_seconds, dz_seconds, built))
        print(
            f"| {number} | {records} | {pg_seconds:.2f} | {dz_seconds:.2f} / {built:.2f} "
            f"| {dz_seconds / pg_seconds:.1f} / {built / pg_seconds:.2f} | {pg_mb:.0f} / {dz_mb:.0f} "
            f"| {os.path.getsize(dump) / 1e6:.1f} / {os.path.getsize(backup) / 1e6:.1f} |",
            flush=True,
        )
    pg_seconds, dz_seconds, built = (statistics.median(column) for column in zip(*results, strict=True))
    ratios = [b / p for p, _d, b in results]
    print(
        f"\nMedians: pg_dump -Fc {pg_seconds:.2f} s, backup {dz_seconds:.2f} s (command) / {built:.2f} s "
        f"(build); build / pg_dump of each round: median {statistics.median(ratios):.2f}, "
        f"from {min(ratios):.2f} to {max(ratios):.2f}."
    )


if __name__ == "__main__":
    main(sys.argv[1:])
