#!/usr/bin/env bash
# The pre-flight check of a file from another database (every record checked), phase by phase,
# by this checkout and an anchor checkout in alternating rounds.
#   DZ_ANCHOR=/path/to/older/checkout bash bench/check_benchmark.sh
#   (e.g. git worktree add /tmp/anchor <commit>; the database must suit both versions)
# Uses the database and file of bench/backup_benchmark.sh (built there when missing).
source "$(dirname "$0")/../scripts/env.sh"
prepare
ANCHOR=${DZ_ANCHOR:?set DZ_ANCHOR to a checkout of the addon to compare with}
LINES=${DZ_BENCH_LINES:-300000}
DB=dz_bench_$LINES
OUT=$ADDON_DIR/bench/out/$LINES
[ -f "$OUT/backup.zip" ] || DZ_BENCH_LINES=$LINES DZ_BENCH_ROUNDS=1 bash "$ADDON_DIR/bench/backup_benchmark.sh"
company=$(psql -d "$DB" -Atc "select id from res_company where name = 'Bench Co'")
mkdir -p "$DZ_HOME/anchor_addons"
ln -sfn "$ANCHOR" "$DZ_HOME/anchor_addons/danger_zone"
base="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons"
cd "$ADDON_DIR/bench" && "$VENV/bin/python" measure_check.py "$DB" "$company" "$OUT/backup.zip" "${DZ_BENCH_ROUNDS:-5}" -- \
    "this=$base,$ADDONS_LINK_DIR" "anchor=$base,$DZ_HOME/anchor_addons" -- \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" | tee "$OUT/check.md"
