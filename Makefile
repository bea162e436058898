# The two README commands. Both prepare what they need (a virtualenv with
# Odoo's requirements, PostgreSQL, Chromium for tests) and are idempotent.
.PHONY: run test

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh
