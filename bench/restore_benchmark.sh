#!/usr/bin/env bash
# Restore speed against pg_restore of the same business tables, and against
# creating the same journal entries through the ORM.
#   bash bench/restore_benchmark.sh            # 300,000 journal items (default)
#   DZ_BENCH_LINES=100000 bash bench/restore_benchmark.sh
# Uses the database of bench/backup_benchmark.sh (built there when missing).
source "$(dirname "$0")/../scripts/env.sh"
prepare
LINES=${DZ_BENCH_LINES:-300000}
DB=dz_bench_$LINES
OUT=$ADDON_DIR/bench/out/$LINES
mkdir -p "$OUT"
[ -f "$OUT/backup.zip" ] && [ -f "$OUT/tables.txt" ] || DZ_BENCH_LINES=$LINES bash "$ADDON_DIR/bench/backup_benchmark.sh"
company=$(psql -d "$DB" -Atc "select id from res_company where name = 'Bench Co'")
"$VENV/bin/python" "$ADDON_DIR/bench/measure_restore.py" "$DB" "$company" "$OUT" -- \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" | tee "$OUT/restore.md"
