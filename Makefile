# Every command a developer or CI runs. `make` alone lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

SERVER := apps/server
# apps/server *is* the package `server`: it is imported from apps/.
export PYTHONPATH := $(CURDIR)/apps
# uv from PATH, or the module that `make install` brings in with pip on a bare machine.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := cd $(SERVER) && $(UV) run --locked --no-sync

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: ## Install the locked dependencies (and uv itself when missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --disable-pip-version-check uv
	cd $(SERVER) && $(UV) sync --locked --quiet

.PHONY: dev
dev: install migrate ## API on http://127.0.0.1:8000, a worker and beat; SQLite, no Redis
	$(RUN) python -m server train --promote --if-no-champion
	$(RUN) python -m server dev

.PHONY: train
train: install migrate ## Train, gate and register a version; promote it when it passes
	$(RUN) python -m server train --promote $(if $(data),--data $(abspath $(data)),)

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

.PHONY: test
test: install ## Run the whole test suite with coverage (fails under 90%)
	$(RUN) pytest --cov=. --cov-report=term-missing:skip-covered --cov-fail-under=90

.PHONY: lint
lint: install ## ruff check, ruff format --check, mypy --strict
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy .

.PHONY: fmt
fmt: install ## Format and auto-fix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

.PHONY: openapi
openapi: install ## Write the committed OpenAPI contract apps/server/openapi.json
	$(RUN) python -m server openapi --output openapi.json

.PHONY: docs
docs: install ## Regenerate the configuration table in README.md from Settings
	$(RUN) python -m server settings-table --update ../../README.md

.PHONY: bench
bench: install ## Benchmark serving on local PostgreSQL + Redis (predictions vs /health, 100k job)
	$(RUN) python scripts/bench_serving.py --out-dir ../../reports

.PHONY: check-infra
check-infra: ## Lint and validate Dockerfiles, compose, k8s, workflows, alert rules (offline)
	bash scripts/check-infra.sh
