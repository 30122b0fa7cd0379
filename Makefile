# Two commands for a newcomer: `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_EMAIL ?= admin@example.com
DEMO_PASSWORD ?= plinth-demo

.PHONY: demo test lint format install clean translations

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/plinth init
	$(BIN)/plinth pack install field_service inspection
	$(BIN)/plinth demo
	$(BIN)/plinth user create --email $(DEMO_EMAIL) --password $(DEMO_PASSWORD) --role admin --exists-ok
	@echo ""
	@echo "  Plinth demo: http://$(HOST):$(PORT)/"
	@echo "  Log in as $(DEMO_EMAIL) with password $(DEMO_PASSWORD)"
	@echo "  API token: $(BIN)/plinth token create --email $(DEMO_EMAIL)"
	@echo ""
	$(BIN)/plinth run --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -n auto

translations: $(STAMP)  ## re-extract the pages' texts, update zh-CN, compile the catalogue
	$(BIN)/pybabel extract -F admin_ui/babel.cfg -k _ -k _l -k gettext -k lazy_gettext -o admin_ui/translations/messages.pot .
	$(BIN)/pybabel update -i admin_ui/translations/messages.pot -d admin_ui/translations -D messages --width 100
	$(BIN)/pybabel compile -d admin_ui/translations -D messages

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
