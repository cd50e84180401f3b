# Tousu: `make run` sets everything up and serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOUSU_HOST ?= 127.0.0.1
TOUSU_PORT ?= 8000
export TOUSU_HOST TOUSU_PORT

.PHONY: run test bench bench-quick bench-tools install install-dev assets migrate demo serve lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed
assets: node_modules/.installed

migrate: install
	$(BIN)/tousu migrate --noinput -v0

demo: migrate
	$(BIN)/tousu demo --if-empty

run: demo
	@echo ""
	@echo "Tousu is at http://$(TOUSU_HOST):$(TOUSU_PORT)/"
	@echo "Demo logins (password tousu-demo-2026): clerk 受理员, investigator 调查员, mediator 调解员,"
	@echo "  recorder 记录员, handler 承办部门, head 部门负责人, leader 领导小组, supervisor 督办, admin 管理员"
	@echo "API docs: http://$(TOUSU_HOST):$(TOUSU_PORT)/api/docs"
	@echo ""
	@# One worker beside the web server chases deadlines and delivers notifications;
	@# it stops with the server. The web server runs four single-threaded processes:
	@# on 2 cores they took 13 % more registrations than 2 processes of 4 threads, with
	@# a p95 a fifth to a third lower (threads of one process wait on each other for
	@# Python's lock; the bench's gunicorn and wrk, three alternating runs of each on
	@# both databases, 2026-12-07). A single-threaded worker's request is cut at
	@# --timeout: 60 s leaves the slowest pages (PDF reports, 1-2.4 s) ample room.
	$(BIN)/tousu worker --interval 15 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn tousu.wsgi --bind $(TOUSU_HOST):$(TOUSU_PORT) --workers 4 --timeout 60 \
	  --access-logfile - --access-logformat '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

test: install-dev
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/python scripts/check_messages.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	bash scripts/test.sh

# The bench drives HTTP load with wrk (Debian package); root installs it when missing.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends wrk; \
	  else echo "make bench needs wrk: sudo apt-get install wrk" >&2; exit 1; fi; }

# The first run seeds a 1M-complaint read set and the reports bench's year of 1M
# complaints per database (kept in var/bench-cache and PostgreSQL databases, until a
# migration or a seeder changes); later runs re-use them.
bench: install-dev bench-tools
	$(BIN)/python bench/run.py
	$(BIN)/python bench/worker_bench.py
	$(BIN)/python bench/emergency_bench.py
	$(BIN)/python bench/mass_bench.py
	$(BIN)/python bench/drill_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/reports_bench.py

# Daily use, within 5 minutes: a 20k read set, short wrk runs, two server configurations.
bench-quick: install-dev bench-tools
	$(BIN)/python bench/run.py --quick
	TOUSU_BENCH_QUICK=1 $(BIN)/python bench/worker_bench.py

lint: install-dev
	$(BIN)/ruff check src bench

format: install-dev
	$(BIN)/ruff format src bench
	$(BIN)/ruff check --fix src bench

# Refresh the Chinese catalog after changing user-facing strings (needs GNU gettext).
messages: install-dev
	cd src/tousu && ../../$(BIN)/tousu makemessages -l zh_Hans --no-obsolete --no-location \
	  --ignore 'tests/*' && ../../$(BIN)/tousu compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache
