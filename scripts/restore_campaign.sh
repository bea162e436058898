#!/usr/bin/env bash
# A long random campaign of the restore's property test (tests/test_restore_properties.py):
# mutated backup files, each refused unchanged or restored inside the company.
#   bash scripts/restore_campaign.sh              # 1,000 examples, a random seed
#   DZ_HYPOTHESIS_EXAMPLES=5000 DZ_HYPOTHESIS_SEED=7 bash scripts/restore_campaign.sh
# Prints the seed, the examples run and the outcome; a failure shows the shrunk example.
source "$(dirname "$0")/env.sh"
prepare
EXAMPLES=${DZ_HYPOTHESIS_EXAMPLES:-1000}
SEED=${DZ_HYPOTHESIS_SEED:-$RANDOM$RANDOM}
DB=dz_campaign_$$
LOG=$DZ_HOME/logs/restore-campaign-$SEED.log
mkdir -p "$DZ_HOME/logs"
trap 'dropdb --if-exists "$DB" 2>/dev/null || true' EXIT
say "restore campaign: $EXAMPLES examples, seed $SEED (log: $LOG)"
started=$(date +%s)
odoo_bin -d "$DB" -i account,sale_management,purchase,hr_expense --without-demo=all --stop-after-init \
    --log-level=warn >"$LOG" 2>&1 || { tail -30 "$LOG"; die "building the database failed"; }
DZ_HYPOTHESIS_EXAMPLES=$EXAMPLES DZ_HYPOTHESIS_SEED=$SEED odoo_bin -d "$DB" -i danger_zone --test-enable \
    --test-tags /danger_zone:TestRestoreProperties --stop-after-init --without-demo=all --no-http \
    --max-cron-threads=0 --log-level=info >>"$LOG" 2>&1 || true
grep -E "Falsifying|AssertionError|Error:|tests when loading" "$LOG" | head -40
echo "seed $SEED, $EXAMPLES examples, $(( $(date +%s) - started )) s"
grep -q "0 failed, 0 error(s)" "$LOG"
