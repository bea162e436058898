# Shared preparation for the README's run and test commands (sourced, not run).
# Idempotent: every step checks before it acts, so a second call is fast.
set -euo pipefail

ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_PATH=${ODOO_PATH:-/opt/odoo/18.0}
DZ_HOME=${DZ_HOME:-$HOME/.cache/danger-zone}
VENV=${DZ_VENV:-$DZ_HOME/venv-py311}
ADDONS_LINK_DIR=$DZ_HOME/addons           # holds the symlink danger_zone -> this checkout
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-$(id -un)}
export PGHOST PGPORT PGUSER

say() { printf '\033[1m[danger-zone]\033[0m %s\n' "$*" >&2; }
die() { printf '[danger-zone] ERROR: %s\n' "$*" >&2; exit 2; }

apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing system packages: ${missing[*]} (no apt-get to install them)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_odoo() {
    if [ ! -f "$ODOO_PATH/odoo-bin" ] || [ ! -d "$ODOO_PATH/addons/account" ]; then
        local url=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
        if [ -e "$ODOO_PATH" ] && [ -n "$(ls -A "$ODOO_PATH" 2>/dev/null)" ]; then
            die "$ODOO_PATH exists but holds no Odoo 18.0 tree (odoo-bin, addons/account). Fix it or set ODOO_PATH."
        fi
        say "Odoo 18.0 is not at $ODOO_PATH: trying to clone the 18.0 branch of $url"
        if GIT_TERMINAL_PROMPT=0 timeout 1800 git clone -q --depth 1 --branch 18.0 "$url" "$ODOO_PATH"; then
            say "cloned Odoo 18.0 into $ODOO_PATH"
        else
            rm -rf "$ODOO_PATH"  # only what this failed clone created
            die "Odoo 18.0 is not at ODOO_PATH=$ODOO_PATH and could not be cloned. Put an Odoo 18.0 community tree there (odoo/, addons/, odoo-bin, requirements.txt), or set ODOO_PATH to one, or ODOO_GIT_URL to a reachable clone."
        fi
    fi
    grep -q "version_info = (18, 0" "$ODOO_PATH/odoo/release.py" || die "$ODOO_PATH is not Odoo 18.0"
}

ensure_python() {
    PYTHON=${PYTHON:-$(command -v python3.11 || true)}
    [ -n "$PYTHON" ] || die "Python 3.11 is required (python3.11 not found)"
    local stamp_src
    stamp_src=$(cat "$ODOO_PATH/requirements.txt" "$ADDON_DIR/requirements.txt" "$ADDON_DIR/requirements-dev.txt" \
        "$ADDON_DIR/requirements-oca.txt" | sha1sum | cut -c1-16)
    if [ -f "$VENV/.dz-stamp" ] && [ "$(cat "$VENV/.dz-stamp")" = "$stamp_src" ]; then
        return 0
    fi
    apt_install libldap2-dev libsasl2-dev libpq-dev
    say "building the virtualenv $VENV (Odoo's and the addon's requirements)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip wheel setuptools 2>&1 | grep -v "is ignored: it is neither" >&2 || true
    mkdir -p "$DZ_HOME"
    "$VENV/bin/python" "$ADDON_DIR/scripts/odoo_requirements.py" "$ODOO_PATH/requirements.txt" >"$DZ_HOME/odoo-requirements.txt"
    "$VENV/bin/python" -m pip install -q -r "$DZ_HOME/odoo-requirements.txt" \
        -r "$ADDON_DIR/requirements.txt" -r "$ADDON_DIR/requirements-dev.txt" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
    rm -rf "$VENV/oca-addons"
    "$VENV/bin/python" -m pip install -q --no-deps --target "$VENV/oca-addons" -r "$ADDON_DIR/requirements-oca.txt" \
        2>&1 | grep -v "is ignored: it is neither" >&2 || true
    echo "$stamp_src" >"$VENV/.dz-stamp"
}

ensure_postgres() {
    if command -v pg_isready >/dev/null && pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
        ensure_pg_role
        return 0
    fi
    if ! command -v pg_ctlcluster >/dev/null; then
        apt_install postgresql postgresql-client
    fi
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster"
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
    pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
    ensure_pg_role
}

ensure_pg_role() {
    # A fresh Debian cluster only knows 'postgres'; Odoo needs a role that can create databases.
    if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
        command -v runuser >/dev/null || die "cannot connect to PostgreSQL as $PGUSER"
        runuser -u postgres -- psql -qc "CREATE ROLE \"$PGUSER\" LOGIN SUPERUSER" >/dev/null 2>&1 || true
        psql -d postgres -Atc "select 1" >/dev/null 2>&1 || die "cannot connect to PostgreSQL as $PGUSER on $PGHOST:$PGPORT (trust or a password in ~/.pgpass is needed)"
    fi
}

ensure_addons_path() {
    # Odoo finds an addon by its folder name; the checkout may be named anything.
    mkdir -p "$ADDONS_LINK_DIR"
    ln -sfn "$ADDON_DIR" "$ADDONS_LINK_DIR/danger_zone"
    ADDONS_PATH="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$ADDONS_LINK_DIR"
    # the OCA addons of requirements-oca.txt, which may be installed beside Danger Zone
    if [ -d "$VENV/oca-addons/odoo/addons" ]; then ADDONS_PATH="$ADDONS_PATH,$VENV/oca-addons/odoo/addons"; fi
}

ensure_demo_database() {
    # ensure_demo_database NAME: the database of `make run`, with the addon and two sample
    # companies owned by admin. The second one is created last: its presence means it is complete.
    local database=$1
    if ! psql -d "$database" -Atc "select 1 from res_company where name = 'Second Sample Co'" 2>/dev/null | grep -q 1; then
        say "creating the demo database $database (takes a minute or two)"
        dropdb --if-exists "$database"
        odoo_bin -d "$database" -i danger_zone,sale_management,purchase,hr_expense --without-demo=all \
            --stop-after-init --log-level=warn
        odoo_bin shell -d "$database" --log-level=warn --no-http <"$ADDON_DIR/scripts/demo_data.py"
    else
        odoo_bin -d "$database" -u danger_zone --stop-after-init --log-level=warn
    fi
}

odoo_bin() {
    # odoo_bin [COMMAND] ARGS...: Odoo reads --addons-path before the command
    # name, so that it can find commands shipped in addons (cli/).
    local command=()
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then command=("$1"); shift; fi
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" --addons-path="$ADDONS_PATH" "${command[@]}" \
        --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" "$@"
}

update_addon() {
    # update_addon DB: a database built by an older version of the addon is updated to this one
    local installed wanted
    installed=$(psql -d "$1" -Atc "select latest_version from ir_module_module where name = 'danger_zone'")
    wanted=$("$VENV/bin/python" -c "import ast, sys; print(ast.literal_eval(open(sys.argv[1]).read())['version'])" \
        "$ADDON_DIR/__manifest__.py")
    if [ "$installed" != "$wanted" ]; then
        say "updating danger_zone in $1 ($installed -> $wanted)"
        odoo_bin -d "$1" -u danger_zone --stop-after-init --log-level=warn
    fi
}

prepare() {
    ensure_odoo
    ensure_python
    ensure_postgres
    ensure_addons_path
}
