# Every target creates .venv on first use, so a fresh machine with only python3 works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint fuzz bench soak clean system

# System parts the tests drive for real (no fakes of them): installed from the distribution's
# packages when missing. command -> Debian package. chromium: the dashboard's browser tests.
SYSTEM_PARTS := redis-server:redis-server chromium:chromium
APT_GET := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mockservers serve --host $(HOST) --port $(PORT) $(if $(CONFIG),--config $(CONFIG))

system:
	@missing=""; for part in $(SYSTEM_PARTS); do \
		command -v $${part%%:*} >/dev/null || missing="$$missing $${part#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing from the distribution's packages"; \
		$(APT_GET) update -q >/dev/null && $(APT_GET) install -y -q --no-install-recommends $$missing >/dev/null; \
	fi

test: $(STAMP) system
	$(BIN)/lint-imports --no-cache
	PYTHONHASHSEED=0 $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

# The contract fuzz suites (also part of `make test`); FUZZ_PROFILE=deep for the nightly run.
fuzz: $(STAMP)
	PYTHONHASHSEED=0 $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider -m fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) build *.egg-info

bench: $(STAMP)
	$(MAKE) --no-print-directory system SYSTEM_PARTS="wrk:wrk redis-server:redis-server"
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

SOAK_SECONDS ?= 300
soak: $(STAMP)
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS) $(SOAK_ARGS)
