# Every command a developer or CI runs. `make` alone lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

SERVER := apps/server
CLIENT := apps/client
NPM_CLIENT := npm --prefix $(CLIENT)
# apps/server *is* the package `server`: it is imported from apps/.
export PYTHONPATH := $(CURDIR)/apps
# uv from PATH, or the module that `make install` brings in with pip on a bare machine.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := cd $(SERVER) && $(UV) run --locked --no-sync

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Bytecode is compiled at install: where Python may not write it (PYTHONDONTWRITEBYTECODE,
# a read-only tree) every process start compiled scikit-learn and SciPy again, ~9 s of CPU.
.PHONY: install
install: ## Install the locked dependencies (and uv itself when missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --disable-pip-version-check uv
	cd $(SERVER) && $(UV) sync --locked --quiet --compile-bytecode

.PHONY: dev
dev: install ## API on http://127.0.0.1:8000, a worker and beat; SQLite, no Redis
	cd $(SERVER) && exec "$$($(UV) python find)" -m server dev --bootstrap  # not uv run: it passes Ctrl-C on a second time, and the cleanup it interrupts exits 1

.PHONY: train
train: install migrate ## Train, gate and register a version; promote it when it passes
	$(RUN) python -m server train --promote $(if $(data),--data $(abspath $(data)),)

.PHONY: eval
eval: install migrate ## Evaluate a prompt version (version=N; default the champion) with the configured LLM provider; writes reports/eval.md and eval.json
	$(RUN) python -m server eval --out-dir ../../reports $(if $(version),--version $(version),)

.PHONY: superuser
superuser: install migrate ## Create a superuser: make superuser email=you@example.com (asks the password)
	@test -n "$(email)" || { echo 'usage: make superuser email=you@example.com'; exit 2; }
	$(RUN) python -m server create-user --email "$(email)" --superuser

.PHONY: worker
worker: install ## Run a Celery worker on every queue (needs APP_REDIS_URL or the embedded broker)
	$(RUN) python -m server worker --queues inference,shadow,batch,training

.PHONY: bench-model
bench-model: install ## Benchmark the model runtime (single and batched); writes reports/
	$(RUN) python scripts/bench_model.py --out-dir ../../reports

.PHONY: migrate
migrate: ## Upgrade the database to the latest migration
	$(RUN) alembic upgrade head

.PHONY: revision
revision: ## Autogenerate a migration: make revision m="add users"
	@test -n "$(m)" || { echo 'usage: make revision m="what changed"'; exit 2; }
	$(RUN) alembic revision --autogenerate -m "$(m)"

# Server test processes (pytest-xdist, whole files per process, each with its own Redis
# database). Two by default: the suite waits on processes, brokers and databases much of
# the time, so on two cores -n 2 halves it (9:25 -> 4:41 with coverage). One process:
# make test TEST_WORKERS=0; more cores: TEST_WORKERS=4.
TEST_WORKERS ?= 2

.PHONY: test
test: install client-install ## Server suite with coverage (fails under 90%), then the client's
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile \
		--cov=. --cov-report=term-missing:skip-covered --cov-fail-under=90
	$(NPM_CLIENT) run test

# Backs up a populated database (pg_dump, as the backup CronJob), restores it into a fresh
# one, verifies every registered version's artifact, and checks that the API serves the
# restored registry. Needs APP_TEST_DATABASE_URL (a PostgreSQL admin URL: two databases are
# created and dropped there) and pg_dump, pg_restore and psql on PATH. The artifacts go to
# APP_ARTIFACT_STORE_URL when set (the drill then covers that store), else a temporary folder.
.PHONY: restore-drill
restore-drill: install ## Backup and restore drill: dump, restore, verify artifacts, serve
	@test -n "$${APP_TEST_DATABASE_URL:-}" || { \
		echo 'set APP_TEST_DATABASE_URL (PostgreSQL admin URL), e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres'; exit 2; }
	$(RUN) python scripts/restore_drill.py --admin-url "$$APP_TEST_DATABASE_URL"

# Fault injection on real processes (API, worker, beat) over PostgreSQL and a redis-server
# of its own (on a free port, killed and restarted by the suite), under concurrent client
# load. Needs APP_TEST_DATABASE_URL (a PostgreSQL admin URL: the suite creates and drops a
# database there) and redis-server on PATH. Prints the table; fails when a scenario fails.
.PHONY: chaos
chaos: install ## Chaos suite: kill workers, Redis, the API on real processes; writes reports/chaos.md
	@test -n "$${APP_TEST_DATABASE_URL:-}" || { \
		echo 'set APP_TEST_DATABASE_URL (PostgreSQL admin URL), e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres'; exit 2; }
	@command -v redis-server >/dev/null || { echo 'install redis-server (the suite runs its own)'; exit 2; }
	$(RUN) pytest tests/chaos -m chaos -p no:xdist -p no:cacheprovider

.PHONY: lint
lint: install client-install ## Server: ruff, ruff format, mypy --strict, bandit; client: eslint, prettier, tsc
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .
	$(RUN) bandit -q -c pyproject.toml -r .
	$(NPM_CLIENT) run lint

.PHONY: fmt
fmt: install ## Format and auto-fix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

.PHONY: openapi
openapi: install client-install ## Write the OpenAPI contract (apps/server/openapi.json) and the client's types
	$(RUN) python -m server openapi --output openapi.json
	$(NPM_CLIENT) run gen:api

.PHONY: docs
docs: install ## Regenerate README.md's tables: settings (from Settings), routes and scopes
	$(RUN) python -m server settings-table --update ../../README.md

.PHONY: bench
bench: install ## Benchmark serving on local PostgreSQL + Redis (vs a bare FastAPI floor, tracing on and off, 100k job)
	$(RUN) python scripts/bench_serving.py --tracing --out-dir ../../reports

.PHONY: bench-dev
bench-dev: install ## Time make dev on a fresh clone of HEAD, then warm; writes reports/
	$(RUN) python scripts/bench_dev_start.py --out-dir ../../reports

.PHONY: check-infra
check-infra: ## Lint and validate Dockerfiles, compose, k8s, workflows, alert rules (offline)
	bash scripts/check-infra.sh

.PHONY: slo
slo: install ## Regenerate the SLO recording and alert rules from ops/slo/slos.yml
	$(SERVER)/.venv/bin/python scripts/slo_rules.py --write

# --- client ---
# The React console in apps/client (Node 20.19+ and npm). Run from the repository root.

.PHONY: client-install
client-install: ## Install the console's locked dependencies (npm ci)
	$(NPM_CLIENT) ci --no-audit --no-fund

# npm ci writes this file last: the console's dependencies are installed and match the lock.
CLIENT_DEPS := $(CLIENT)/node_modules/.package-lock.json
$(CLIENT_DEPS): $(CLIENT)/package-lock.json
	$(NPM_CLIENT) ci --no-audit --no-fund

.PHONY: client-lint
client-lint: ## Console: eslint, prettier --check, tsc, generated API types up to date
	$(NPM_CLIENT) run lint

.PHONY: client-test
client-test: ## Console: vitest run (jsdom, Testing Library)
	$(NPM_CLIENT) run test

.PHONY: client-build
client-build: ## Console: production build into apps/client/dist
	$(NPM_CLIENT) run build

# Browser tests: the built console (vite preview) against a real API and worker on free ports
# (the benchmark's stack: a fresh PostgreSQL database, a flushed Redis database), in the
# machine's Chromium; Playwright downloads no browser. Needs APP_TEST_DATABASE_URL and Redis
# (APP_E2E_REDIS_URL, database 13 by default: it is flushed).
.PHONY: e2e
e2e: install $(CLIENT_DEPS) ## Browser tests of the console (Playwright, Debian's chromium); screenshots in reports/e2e
	@command -v "$${CHROMIUM_PATH:-chromium}" >/dev/null || { echo 'install chromium (apt-get install chromium) or set CHROMIUM_PATH'; exit 2; }
	@test -n "$${APP_TEST_DATABASE_URL:-}" || { \
		echo 'set APP_TEST_DATABASE_URL (PostgreSQL admin URL), e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres'; exit 2; }
	$(NPM_CLIENT) run build
	mkdir -p reports/e2e
	$(RUN) python scripts/e2e_stack.py -- env CHROMIUM_PATH="$$(command -v "$${CHROMIUM_PATH:-chromium}")" \
		E2E_REPORTS_DIR=$(CURDIR)/reports/e2e npm --prefix ../client run e2e

.PHONY: client-dev
client-dev: $(CLIENT_DEPS) ## Console on http://localhost:5173 (installs it first), /api/ proxied to http://127.0.0.1:8000
	$(NPM_CLIENT) run dev
