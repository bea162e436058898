#!/usr/bin/env bash
# Company deletion speed and memory, on a copy of the benchmark database.
#   bash bench/delete_benchmark.sh            # 300,000 journal items (default)
#   DZ_BENCH_LINES=100000 bash bench/delete_benchmark.sh
# Uses the database of bench/backup_benchmark.sh (built there when missing),
# copied to dz_bench_<lines>_delete, where `danger-zone delete` removes Bench Co.
source "$(dirname "$0")/../scripts/env.sh"
prepare
LINES=${DZ_BENCH_LINES:-300000}
DB=dz_bench_$LINES
COPY=${DB}_delete
OUT=$ADDON_DIR/bench/out/$LINES
mkdir -p "$OUT"
psql -d "$DB" -Atc "select 1" >/dev/null 2>&1 || DZ_BENCH_LINES=$LINES bash "$ADDON_DIR/bench/backup_benchmark.sh"
update_addon "$DB"
dropdb --if-exists "$COPY"
createdb -T "$DB" "$COPY"
company=$(psql -d "$COPY" -Atc "select id from res_company where name = 'Bench Co'")
"$VENV/bin/python" "$ADDON_DIR/bench/measure_delete.py" "$COPY" "$company" -- \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" | tee "$OUT/delete.md"
dropdb --if-exists "$COPY"
