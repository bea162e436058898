#!/usr/bin/env bash
# A small company in a large database (#21): backup, restore and deletion of a company of about
# 10,000 journal items in a database of its own, and in a copy where other companies hold
# 3,000,000 more, in alternating rounds.
#   bash bench/crowded_benchmark.sh
#   DZ_SMALL_LINES=10000 DZ_CROWD_LINES=3000000 DZ_BENCH_ROUNDS=3 bash bench/crowded_benchmark.sh
# The other companies are the 300,000-item benchmark company of bench/backup_benchmark.sh
# (built there when missing), restored into new companies until they hold DZ_CROWD_LINES.
source "$(dirname "$0")/../scripts/env.sh"
prepare
SMALL=${DZ_SMALL_LINES:-10000}
CROWD=${DZ_CROWD_LINES:-3000000}
NAME="Small Bench Co"
ALONE=dz_bench_small_alone
CROWDED=dz_bench_small_crowded
OUT=$ADDON_DIR/bench/out/crowded
BIG=$ADDON_DIR/bench/out/300000/backup.zip
mkdir -p "$OUT"
[ -f "$BIG" ] || DZ_BENCH_ROUNDS=1 bash "$ADDON_DIR/bench/backup_benchmark.sh"
odoo=("$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH")
company_in() { psql -d "$1" -Atc "select id from res_company where name = '$2'" 2>/dev/null; }
items_of_others() {
    psql -d "$CROWDED" -Atc "select count(*) from account_move_line l join res_company c on c.id = l.company_id
                             where c.name != '$NAME'" 2>/dev/null || echo 0
}

if [ -z "$(company_in "$ALONE" "$NAME")" ] || [ ! -f "$OUT/small.zip" ]; then
    say "building $ALONE: $NAME with $SMALL journal items"
    dropdb --if-exists "$ALONE"
    odoo_bin -d "$ALONE" -i danger_zone --without-demo=all --stop-after-init --log-level=warn
    DZ_BENCH_COMPANY=$NAME DZ_BENCH_LINES=$SMALL odoo_bin shell -d "$ALONE" --log-level=warn --no-http \
        <"$ADDON_DIR/bench/scale_company.py"
    "${odoo[@]}" danger-zone backup -d "$ALONE" --company "$(company_in "$ALONE" "$NAME")" -o "$OUT/small.zip" \
        --log-level=warn >/dev/null
    # the file now comes from another database: its restores check every record
    psql -d "$ALONE" -qc "UPDATE ir_config_parameter SET value = gen_random_uuid() WHERE key = 'database.uuid'"
    psql -d "$ALONE" -qc "VACUUM ANALYZE"
    dropdb --if-exists "$CROWDED"
fi
if [ -z "$(company_in "$CROWDED" "$NAME")" ]; then
    createdb -T "$ALONE" "$CROWDED"
fi
update_addon "$ALONE"
update_addon "$CROWDED"
while [ "$(items_of_others)" -lt "$CROWD" ]; do
    say "$CROWDED: $(items_of_others) journal items in other companies, restoring one more"
    source_id=$(company_in "$CROWDED" "$NAME")
    target=$(cd "$ADDON_DIR/bench" && "$VENV/bin/python" -c "import sys, uuid, measure_restore as m
print(m.new_company(sys.argv[1:], '$CROWDED', $source_id, f'Crowd Co {uuid.uuid4().hex[:8]}'))" "${odoo[@]}")
    "${odoo[@]}" danger-zone restore -d "$CROWDED" --company "$target" -i "$BIG" --log-level=warn | tail -1
done
psql -d "$CROWDED" -qc "VACUUM ANALYZE"
cd "$ADDON_DIR/bench" && "$VENV/bin/python" measure_crowded.py "$ALONE" "$CROWDED" "$NAME" "$OUT/small.zip" \
    "${DZ_BENCH_ROUNDS:-3}" -- "${odoo[@]}" | tee "$OUT/crowded.md"
