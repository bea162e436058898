#!/usr/bin/env bash
# The README's test command: lint, engine tests, then the addon's Odoo tests on
# a copy of a template database. Ends with "N passed, N failed"; exits non-zero
# on any failure, error, skipped browser test or unexpected ERROR log line.
source "$(dirname "$0")/env.sh"
prepare
apt_install chromium age

RUN_ID=$$
# fs_storage (requirements-oca.txt) is there for the remote copies; the demo templates have no
# OCA addon: Danger Zone works without them.
TEMPLATE_MODULES=${DZ_TEMPLATE_MODULES:-account,sale_management,purchase,hr_expense,fs_storage}
TEMPLATE_DB=dz_template_$RUN_ID
# Developers may keep the template between runs with DZ_REUSE_TEMPLATE=1 (CI never does).
# (named by a digest of the modules: PostgreSQL cuts names at 63 bytes, and the demo templates
# add a suffix to it)
[ -n "${DZ_REUSE_TEMPLATE:-}" ] && [ -z "${CI:-}" ] \
    && TEMPLATE_DB=dz_template_reused_$(printf '%s' "$TEMPLATE_MODULES" | md5sum | cut -c1-12)
TEST_DB=dz_test_$RUN_ID
LOG_DIR=${DZ_LOG_DIR:-$DZ_HOME/logs}
mkdir -p "$LOG_DIR"
ODOO_LOG=$LOG_DIR/odoo-tests-$RUN_ID.log
find "$LOG_DIR" -name 'odoo-tests-*.log' -mtime +3 -delete 2>/dev/null || true
# Odoo's demo company with the apps of tests/demo_apps.txt: database A has demo data, B has
# the same apps and chart without it (tests/test_demo_round_trip.py restores A's company in B).
DEMO_MODULES="$(paste -sd, "$ADDON_DIR/tests/demo_apps.txt"),danger_zone"
DEMO_TEMPLATE_A=${TEMPLATE_DB}_demo_a
DEMO_TEMPLATE_B=${TEMPLATE_DB}_demo_b
cleanup() {
    dropdb --if-exists "$TEST_DB" 2>/dev/null || true
    if [[ "$TEMPLATE_DB" != dz_template_reused* ]]; then
        for database in "$TEMPLATE_DB" "$DEMO_TEMPLATE_A" "$DEMO_TEMPLATE_B"; do
            dropdb --if-exists "$database" 2>/dev/null || true
        done
    fi
    dropdb --if-exists "${TEST_DB}_second" 2>/dev/null || true
    if [ -n "${SFTP_DIR:-}" ]; then
        [ -f "$SFTP_DIR/sshd.pid" ] && kill "$(cat "$SFTP_DIR/sshd.pid")" 2>/dev/null
        rm -rf "$SFTP_DIR"
    fi
}
trap cleanup EXIT

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_sftp_server() {
    # A real SFTP server for the remote copies' tests: Debian's OpenSSH on 127.0.0.1 with host and
    # client keys of its own, which only speaks SFTP; the tests store in $DZ_SFTP_ROOT.
    apt_install openssh-server
    SFTP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dz-sftp-XXXXXX")
    mkdir -p "$SFTP_DIR/root"
    ssh-keygen -q -t ed25519 -N "" -f "$SFTP_DIR/host_key"
    ssh-keygen -q -t ed25519 -N "" -f "$SFTP_DIR/client_key"
    cp "$SFTP_DIR/client_key.pub" "$SFTP_DIR/authorized_keys"
    local port
    port=$(free_port)
    cat >"$SFTP_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $SFTP_DIR/host_key
AuthorizedKeysFile $SFTP_DIR/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $SFTP_DIR/sshd.pid
Subsystem sftp internal-sftp
ForceCommand internal-sftp
EOF
    [ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd  # its privilege separation folder
    /usr/sbin/sshd -f "$SFTP_DIR/sshd_config" -E "$SFTP_DIR/sshd.log" \
        || die "the SFTP server did not start: $(cat "$SFTP_DIR/sshd.log" 2>/dev/null)"
    export DZ_SFTP_PORT=$port DZ_SFTP_USER=$(id -un) DZ_SFTP_KEY=$SFTP_DIR/client_key DZ_SFTP_ROOT=$SFTP_DIR/root
}

failed=0
passed=0

say "lint: ruff and pylint-odoo"
if "$VENV/bin/ruff" check "$ADDON_DIR" && "$VENV/bin/ruff" format --check "$ADDON_DIR" >/dev/null \
    && (cd "$ADDON_DIR" && "$VENV/bin/pylint" --rcfile=.pylintrc --score=n $(git ls-files --cached --others --exclude-standard '*.py' | grep -v '^scripts/\|^bench/\|^docs/'));
then passed=$((passed + 1)); else say "lint FAILED"; failed=$((failed + 1)); fi

if [ -d "$ADDON_DIR/engine/tests" ]; then
    say "engine tests (no Odoo registry)"
    engine_out=$("$VENV/bin/python" "$ADDON_DIR/scripts/run_engine_tests.py" 2>&1) && engine_rc=0 || engine_rc=$?
    printf '%s\n' "$engine_out" | tail -n 30
    read -r engine_passed engine_failed < <(printf '%s\n' "$engine_out" | sed -n 's/^engine: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p') || true
    passed=$((passed + ${engine_passed:-0})); failed=$((failed + ${engine_failed:-1}))
    [ "$engine_rc" -eq 0 ] || [ "${engine_failed:-1}" -gt 0 ] || failed=$((failed + 1))
fi

build_template() {
    if [[ "$TEMPLATE_DB" = dz_template_reused* ]] && psql -d "$TEMPLATE_DB" -Atc "select 1" >/dev/null 2>&1; then
        say "reusing the template database $TEMPLATE_DB"
        return 0
    fi
    say "building the template database ($TEMPLATE_MODULES)"
    odoo_bin -d "$TEMPLATE_DB" -i "$TEMPLATE_MODULES" --without-demo=all --stop-after-init \
        --log-level=warn >"$LOG_DIR/template.log" 2>&1 \
        || { tail -50 "$LOG_DIR/template.log"; die "building the template database failed"; }
}
build_demo_template() {  # build_demo_template DATABASE [ODOO OPTIONS]: apps, danger_zone, maybe demo data
    local database=$1; shift
    if [[ "$TEMPLATE_DB" = dz_template_reused* ]] && psql -d "$database" -Atc "select 1" >/dev/null 2>&1; then
        odoo_bin -d "$database" -u danger_zone --stop-after-init --log-level=warn >"$LOG_DIR/$database.log" 2>&1
    else
        odoo_bin -d "$database" "$@" --stop-after-init --log-level=warn >"$LOG_DIR/$database.log" 2>&1
    fi || { tail -50 "$LOG_DIR/$database.log"; die "building the template database $database failed"; }
}
cleanup
if [[ "${DZ_TEST_TAGS:-}" != *"-/danger_zone:TestDemoCompanyAcrossDatabases"* ]]; then
    say "building the demo templates ($DEMO_MODULES): A with Odoo's demo data, B without"
    build_demo_template "$DEMO_TEMPLATE_A" -i "$DEMO_MODULES" & demo_a=$!
    build_demo_template "$DEMO_TEMPLATE_B" -i "$DEMO_MODULES,l10n_us" --without-demo=all & demo_b=$!
fi
build_template
for job in ${demo_a:-} ${demo_b:-}; do wait "$job" || die "building a demo template failed"; done
createdb -T "$TEMPLATE_DB" "$TEST_DB"

start_sftp_server
say "Odoo tests of danger_zone (log: $ODOO_LOG)"
port=$(free_port)
# Tests that need a second database copy the template (test_restore_cli.py).
DZ_TEMPLATE_DB=$TEMPLATE_DB DZ_DEMO_TEMPLATE_A=$DEMO_TEMPLATE_A DZ_DEMO_TEMPLATE_B=$DEMO_TEMPLATE_B odoo_bin -d "$TEST_DB" -i danger_zone --test-enable --test-tags "/danger_zone${DZ_TEST_TAGS:+,$DZ_TEST_TAGS}" \
    --stop-after-init --without-demo=all --http-interface=127.0.0.1 --http-port="$port" \
    --log-level=info --max-cron-threads=0 >"$ODOO_LOG" 2>&1 && odoo_rc=0 || odoo_rc=$?

summary=$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database" "$ODOO_LOG" | tail -1 || true)
read -r odoo_failed odoo_errors odoo_run < <(printf '%s' "$summary" | sed -nE 's/.* ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/p') || true
odoo_failed=${odoo_failed:-0}; odoo_errors=${odoo_errors:-0}; odoo_run=${odoo_run:-0}
grep -E " (ERROR|CRITICAL) " "$ODOO_LOG" | head -40 || true
bad_logs=$(grep -cE " (ERROR|CRITICAL) " "$ODOO_LOG" || true)
skips=$(grep -cE " odoo\.addons\.danger_zone\..*: skipped " "$ODOO_LOG" || true)
odoo_bad=$((odoo_failed + odoo_errors))
passed=$((passed + odoo_run - odoo_bad))
failed=$((failed + odoo_bad))
if [ "$odoo_run" -eq 0 ]; then say "no Odoo test ran"; failed=$((failed + 1)); fi
if [ "$bad_logs" -gt 0 ] && [ "$odoo_bad" -eq 0 ]; then say "$bad_logs unexpected ERROR log lines"; failed=$((failed + 1)); fi
if [ "$skips" -gt 0 ]; then say "$skips tests were skipped (a missing browser or library?)"; failed=$((failed + skips)); fi
if [ "$odoo_rc" -ne 0 ] && [ "$odoo_bad" -eq 0 ]; then say "odoo-bin exited with $odoo_rc"; failed=$((failed + 1)); fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
