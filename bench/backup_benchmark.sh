#!/usr/bin/env bash
# Backup speed and memory against pg_dump -Fc of the same business tables.
#   bash bench/backup_benchmark.sh            # 300,000 journal items (default)
#   DZ_BENCH_LINES=100000 bash bench/backup_benchmark.sh
# Builds (once) a database dz_bench_<lines> with the addon and a company
# scaled to that many journal items, then measures both side by side.
source "$(dirname "$0")/../scripts/env.sh"
prepare
LINES=${DZ_BENCH_LINES:-300000}
DB=dz_bench_$LINES
OUT=$ADDON_DIR/bench/out/$LINES
mkdir -p "$OUT"
if ! psql -d "$DB" -Atc "select 1 from res_company where name = 'Bench Co'" 2>/dev/null | grep -q 1; then
    say "building $DB with $LINES journal items (a few minutes)"
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i danger_zone --without-demo=all --stop-after-init --log-level=warn
    DZ_BENCH_LINES=$LINES odoo_bin shell -d "$DB" --log-level=warn --no-http <"$ADDON_DIR/bench/scale_company.py"
    psql -d "$DB" -qc "VACUUM ANALYZE"
fi
update_addon "$DB"
info=$(odoo_bin shell -d "$DB" --log-level=warn --no-http <"$ADDON_DIR/bench/tables.py")
company=$(sed -n 's/^BENCH_COMPANY //p' <<<"$info")
sed -n 's/^BENCH_TABLES //p' <<<"$info" >"$OUT/tables.txt"
"$VENV/bin/python" "$ADDON_DIR/bench/measure.py" "$DB" "$company" "$OUT/tables.txt" "$OUT" ${DZ_BENCH_ROUNDS:-5} -- \
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" | tee "$OUT/result.md"
