#!/usr/bin/env bash
# The README's run command: a demo database with the addon and a sample
# company full of business data, served on http://127.0.0.1:8069.
source "$(dirname "$0")/env.sh"
prepare

DEMO_DB=${DZ_DEMO_DB:-danger_zone_demo}
HTTP_PORT=${DZ_HTTP_PORT:-8069}

# The sample company is created last: its presence means the database is complete.
if ! psql -d "$DEMO_DB" -Atc "select 1 from res_company where name = 'Second Sample Co'" 2>/dev/null | grep -q 1; then
    say "creating the demo database $DEMO_DB (takes a minute or two)"
    dropdb --if-exists "$DEMO_DB"
    odoo_bin -d "$DEMO_DB" -i danger_zone,sale_management,purchase,hr_expense --without-demo=all \
        --stop-after-init --log-level=warn
    odoo_bin shell -d "$DEMO_DB" --log-level=warn --no-http <"$ADDON_DIR/scripts/demo_data.py"
fi

say "Odoo is serving $DEMO_DB at http://127.0.0.1:$HTTP_PORT  (login: admin, password: admin)"
say "Settings > Danger Zone is shown to each company's owner; admin owns the sample companies."
odoo_bin -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT"
