# The two README commands. Both prepare what they need (a virtualenv with
# Odoo's requirements, PostgreSQL, Chromium for tests) and are idempotent.
.PHONY: run test screenshots

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

# The pictures of docs/screenshots/, taken in headless Chromium (not run by test or CI).
screenshots:
	bash scripts/screenshots.sh
