#!/usr/bin/env bash
# `make screenshots`: the pictures of docs/screenshots/, taken in headless Chromium from the
# demo database of `make run` (scripts/screenshots.py says which).
source "$(dirname "$0")/env.sh"
prepare
apt_install chromium

DEMO_DB=${DZ_DEMO_DB:-danger_zone_demo}
ensure_demo_database "$DEMO_DB"
# A few backups of Sample Trading Co, for the list and the chart (once).
company_id=$(odoo_bin shell -d "$DEMO_DB" --log-level=warn --no-http <"$ADDON_DIR/scripts/screenshot_data.py" \
    | sed -n 's/^COMPANY \([0-9]*\)$/\1/p')
[ -n "$company_id" ] || die "no sample company in $DEMO_DB"

port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
odoo_bin -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --http-interface=127.0.0.1 --http-port="$port" \
    --max-cron-threads=0 --log-level=warn >"$DZ_HOME/screenshots-server.log" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
trap stop_server EXIT
for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$port/web/login" >/dev/null && break
    sleep 1
done
"$VENV/bin/python" "$ADDON_DIR/scripts/screenshots.py" "http://127.0.0.1:$port" "$DEMO_DB" "$company_id" \
    "$ADDON_DIR/docs/screenshots"
stop_server
trap - EXIT
