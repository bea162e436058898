#!/usr/bin/env bash
# The README's run command: a demo database with the addon and a sample
# company full of business data, served on http://127.0.0.1:8069.
source "$(dirname "$0")/env.sh"
prepare

DEMO_DB=${DZ_DEMO_DB:-danger_zone_demo}
HTTP_PORT=${DZ_HTTP_PORT:-8069}
ensure_demo_database "$DEMO_DB"

say "Odoo is serving $DEMO_DB at http://127.0.0.1:$HTTP_PORT  (login: admin, password: admin)"
say "Settings > Danger Zone is shown to each company's owner; admin owns the sample companies."
odoo_bin -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT"
