# Bürgerportal – the common commands. `make run` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000
export PYTHONPATH := $(CURDIR)

.PHONY: run test lint typecheck check bench translations i18n-extract migrate clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## translations: compile every catalogue (hub and service apps share translations/; never fuzzy)
translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d translations --statistics

## run: the hub on http://127.0.0.1:$(PORT) with SQLite, the in-process store and demo data
run: $(BIN)/.installed translations
	$(BIN)/python -m services.kit.fonts_setup
	$(BIN)/python devrun.py --port $(PORT)

## test: the whole suite (SQLite + in-process store, and PostgreSQL + Redis when reachable)
test: $(BIN)/.installed translations
	$(BIN)/python tests/browser_setup.py
	$(BIN)/python tests/saml_setup.py
	$(BIN)/python -m services.kit.fonts_setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy .

bench: $(BIN)/.installed translations
	$(BIN)/python -m bench

migrate: $(BIN)/.installed
	$(BIN)/flask --app wsgi migrate

i18n-extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs='.venv var .git' -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --project=Bürgerportal --copyright-holder='Bürgerportal' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
