"""Time and peak memory of pg_restore and of a Danger Zone restore of the same company.

Usage (bench/restore_benchmark.sh sets it up):
    python measure_restore.py DB COMPANY_ID OUT_DIR -- ODOO_BIN_COMMAND...
Needs OUT_DIR/backup.zip, OUT_DIR/business.dump and OUT_DIR/tables.txt from
the backup benchmark. Prints a Markdown table.
"""

import os
import re
import subprocess
import sys

from measure import measure

TARGET_DB = "dz_bench_restore_target"
PHASES_LOG = "--log-handler=odoo.addons.danger_zone.services.restore.context:INFO"  # the phases' times
PG_RESTORE_DB = "dz_bench_pg_restore"
# a company of the source's currency and fiscal country, as its taxes need (_validate_taxes_country)
NEW_COMPANY = """
source = env["res.company"].browse(%(source)d)
company = env["res.company"].create({"name": %(name)r, "currency_id": source.currency_id.id,
    "account_fiscal_country_id": source.account_fiscal_country_id.id})
env.ref("base.user_admin").company_ids |= company
env.cr.commit()
print("NEW_COMPANY", company.id)
"""


def new_company(odoo_command, database, source_id, name="Restored Bench Co"):
    """The id of a new company of ``database``, like company ``source_id`` (see NEW_COMPANY)."""
    script = NEW_COMPANY % {"source": int(source_id), "name": name}
    return value(shell(odoo_command, database, script), "NEW_COMPANY")[0]


def shell(odoo_command, database, script, **env):
    result = subprocess.run(
        [*odoo_command, "shell", "-d", database, "--log-level=warn", "--no-http"],
        input=script.encode(),
        capture_output=True,
        env=dict(os.environ, **env),
        check=True,
    )
    return result.stdout.decode()


def value(output, key):
    return next(line.split()[1:] for line in output.splitlines() if line.startswith(key))


def main(argv):
    split = argv.index("--")
    database, company_id, out_dir = argv[:split]
    odoo_command = argv[split + 1 :]
    backup, dump = os.path.join(out_dir, "backup.zip"), os.path.join(out_dir, "business.dump")

    subprocess.run(["dropdb", "--if-exists", PG_RESTORE_DB], check=True)
    subprocess.run(["createdb", PG_RESTORE_DB], check=True)
    # into an empty database: the tables, their rows and indexes; the foreign keys to tables
    # outside the dump (users, currencies...) fail, which pg_restore reports and skips
    pg_seconds, pg_mb, _ = measure(["pg_restore", "--no-owner", "-d", PG_RESTORE_DB, dump], check=False)
    subprocess.run(["dropdb", PG_RESTORE_DB], check=True)
    indexed_seconds = rows_into_indexed_tables(dump)
    print(
        f"pg_restore {pg_seconds:.2f} s; its rows alone into the tables with their indexes made first "
        f"{indexed_seconds:.2f} s ({indexed_seconds / pg_seconds:.2f}x)",
        file=sys.stderr,
    )

    # the file as its own database reads it (signed: values trusted once the hashes match), then
    # as another database reads it (every record checked): the copy gets another database uuid
    restores = {}
    for origin, from_elsewhere in (("this database", False), ("another database", True)):
        restores[origin] = records, built, dz_seconds, dz_mb, _phases = restore_into_copy(
            database, company_id, odoo_command, backup, from_elsewhere
        )
        print(
            f"restore (file from {origin}): {records} records in {built:.2f} s "
            f"(command {dz_seconds:.2f} s, {dz_mb:.0f} MB)",
            file=sys.stderr,
        )

    orm_lines = int(os.environ.get("DZ_ORM_LINES", "5000"))
    orm = value(
        shell(odoo_command, TARGET_DB, open(_here("orm_create.py")).read(), DZ_ORM_LINES=str(orm_lines)),
        "ORM_RESULT",
    )
    orm_seconds, orm_items = float(orm[0]), int(orm[1])
    subprocess.run(["dropdb", TARGET_DB], check=True)

    print_table(restores, pg_seconds, pg_mb, orm_seconds, orm_items)
    print_phases(restores)
    print(
        f"\nThe rows alone into tables whose indexes exist (`pg_restore --data-only` after the "
        f"tables and indexes, triggers off): {indexed_seconds:.2f} s, "
        f"{indexed_seconds / pg_seconds:.2f}x `pg_restore`."
    )


def rows_into_indexed_tables(dump):
    """Seconds of ``pg_restore`` writing the dump's rows into its tables made first with their
    indexes: what any restore into a database that keeps its indexes (one holding other
    companies) pays to write the rows, where ``pg_restore`` builds each index once, after."""
    subprocess.run(["dropdb", "--if-exists", PG_RESTORE_DB], check=True)
    subprocess.run(["createdb", PG_RESTORE_DB], check=True)
    # the foreign keys to tables outside the dump fail, as above; no trigger checks a row
    schema = ["pg_restore", "--no-owner", "-d", PG_RESTORE_DB, "--section=pre-data", "--section=post-data"]
    subprocess.run([*schema, dump], capture_output=True, check=False)
    seconds, _mb, _ = measure(
        ["pg_restore", "--no-owner", "--data-only", "--disable-triggers", "-d", PG_RESTORE_DB, dump],
        check=False,
    )
    subprocess.run(["dropdb", PG_RESTORE_DB], check=True)
    return seconds


def print_table(restores, pg_seconds, pg_mb, orm_seconds, orm_items):
    print(
        "| file from | records | pg_restore s | restore s (command / restore) "
        "| ratio to pg_restore (command / restore) | ORM s (estimated) | ORM / restore "
        "| peak RSS MB (pg_restore / restore) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for origin, (records, built, dz_seconds, dz_mb, _phases) in restores.items():
        orm_estimate = orm_seconds / orm_items * records
        print(
            f"| {origin} | {records} | {pg_seconds:.2f} | {dz_seconds:.2f} / {built:.2f} "
            f"| {dz_seconds / pg_seconds:.1f} / {built / pg_seconds:.1f} "
            f"| {orm_estimate:.0f} ({orm_items} items in {orm_seconds:.1f} s) | {orm_estimate / built:.0f} "
            f"| {pg_mb:.0f} / {dz_mb:.0f} |"
        )


def restore_into_copy(database, company_id, odoo_command, backup, from_elsewhere):
    """(records, restore s, command s, peak MB) of the restore into a new company of a copy of
    ``database``; the copy stays as TARGET_DB."""
    subprocess.run(["dropdb", "--if-exists", TARGET_DB], check=True)
    subprocess.run(["createdb", "-T", database, TARGET_DB], check=True)
    if from_elsewhere:
        psql(
            TARGET_DB, "UPDATE ir_config_parameter SET value = gen_random_uuid() WHERE key = 'database.uuid'"
        )
    target = new_company(odoo_command, TARGET_DB, company_id)
    restore_command = [*odoo_command, "danger-zone", "restore", "-d", TARGET_DB, "--company", target]
    dz_seconds, dz_mb, output = measure([*restore_command, "-i", backup, "--log-level=warn", PHASES_LOG])
    restored = next(line for line in output.splitlines() if "records restored" in line).split()
    return int(restored[0]), float(restored[-2]), dz_seconds, dz_mb, phases(output)


def phases(output):
    """(seconds, Python's CPU seconds, peak MB at its end) per phase of the restore, as it logs
    them ("restore: write tables in 9.31 s (Python 6.02 s, peak 201 MB)"), a phase that runs
    twice (the pre-flight check, then the run's) added up."""
    seconds = {}
    pattern = r"restore: (.+?) in ([0-9.]+) s \(Python ([0-9.]+) s, peak ([0-9]+) MB\)"
    for match in re.finditer(pattern, output):
        wall, cpu, _peak = seconds.get(match[1], (0.0, 0.0, 0))
        seconds[match[1]] = (wall + float(match[2]), cpu + float(match[3]), int(match[4]))
    return seconds


def print_phases(restores):
    """Each phase's seconds, and of them the CPU time of the restore's own process (Python); the
    rest is waiting, mostly for PostgreSQL (which works at the same time during a COPY). Then
    the peak memory of the process at the phase's end: the phase where it grows holds most."""
    origins = list(restores)
    titles = (f"file from {origin} s (Python s, peak MB)" for origin in origins)
    print("\n| phase | " + " | ".join(titles) + " |")
    print("| --- |" + " --- |" * len(origins))
    names = dict.fromkeys(name for restore in restores.values() for name in restore[-1])
    for name in names:
        cells = " | ".join(_phase_cell(*restores[origin][-1].get(name, (0.0, 0.0, 0))) for origin in origins)
        print(f"| {name} | {cells} |")


def _phase_cell(wall, cpu, peak):
    return f"{wall:.2f} ({cpu:.2f}, {peak})"


def psql(database, query):
    result = subprocess.run(["psql", "-d", database, "-Atc", query], capture_output=True, check=True)
    return result.stdout.decode().strip()


def _here(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


if __name__ == "__main__":
    main(sys.argv[1:])
