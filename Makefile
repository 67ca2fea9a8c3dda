# regledger — developer entry points. `make serve` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
JOBS ?= 2

.PHONY: install serve test test-fast lint bench bench-quick demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

serve: install  ## install and serve on the SQLite default (./regledger.db)
	$(BIN)/regledger serve

demo: install  ## load the reference story into an empty store, then serve it
	$(BIN)/regledger demo && $(BIN)/regledger serve

test: install  ## install and run every test on the in-memory, SQLite and PostgreSQL stores
	$(BIN)/pytest -n $(JOBS) -q

test-fast: install  ## the same suite on the in-memory store only
	REGLEDGER_TEST_STORES=memory $(BIN)/pytest -n $(JOBS) -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy domain application

bench-quick: install
	$(BIN)/python -m bench --quick --json bench-quick.json

bench: install
	$(BIN)/python -m bench --json bench-full.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
