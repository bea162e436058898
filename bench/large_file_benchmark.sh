#!/usr/bin/env bash
# A backup of over 1 GB (its attachments included) uploaded through the upload route and
# restored by the scheduled action of a running Odoo server; prints the server's peak memory.
#   bash bench/large_file_benchmark.sh              # 110 files of 10 MB (default)
#   DZ_BENCH_FILES=220 bash bench/large_file_benchmark.sh
# Builds the database dz_bench_large once (kept; drop it to start over).
source "$(dirname "$0")/../scripts/env.sh"
prepare
DB=dz_bench_large
OUT=$ADDON_DIR/bench/out/large
mkdir -p "$OUT"
if ! psql -d "$DB" -Atc "select 1" >/dev/null 2>&1; then
    say "building $DB (accounting and the Danger Zone)"
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" -d "$DB" -i danger_zone \
        --without-demo=all --stop-after-init --log-level=warn >"$OUT/build.log" 2>&1 \
        || { tail -30 "$OUT/build.log"; die "building $DB failed"; }
fi
"$VENV/bin/python" "$ADDON_DIR/bench/measure_large_file.py" "$DB" "$OUT" "${DZ_BENCH_FILES:-110}" -- \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" | tee "$OUT/large_file.md"
