# Two commands for a newcomer: `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
PIP_QUIET ?= -qq  # errors only; `make install PIP_QUIET=` shows everything pip says
PIP := $(BIN)/pip install $(PIP_QUIET) --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_EMAIL ?= admin@example.com
DEMO_PASSWORD ?= plinth-demo

.PHONY: demo test lint typecheck format install clean translations

# `make demo` needs only what Plinth runs on; the development tools (pytest, ruff, mypy,
# playwright, ortools...) come with the first `make test`, `make lint` or `make typecheck`.
$(STAMP): setup.cfg pyproject.toml
	@echo "Installing Plinth into $(VENV) (first run only, about a minute)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "Installing the development tools into $(VENV) (first run only)..."
	@$(PIP) -e '.[dev]'
	@touch $(DEV_STAMP)

install: $(STAMP)

demo: export PLINTH_PUBLIC_URL ?= http://$(HOST):$(PORT)  # the address e-mailed links use
demo: $(STAMP)
	@$(BIN)/plinth init
	@$(BIN)/plinth pack install field_service inspection
	@$(BIN)/plinth demo
	@$(BIN)/plinth user create --email $(DEMO_EMAIL) --password $(DEMO_PASSWORD) --role admin --exists-ok --demo
	@$(BIN)/plinth run --host $(HOST) --port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)  ## mypy --strict over the packages listed in pyproject.toml
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n auto

translations: $(DEV_STAMP)  ## re-extract the pages' texts, update zh-CN, compile the catalogue
	$(BIN)/pybabel extract -F admin_ui/babel.cfg -k _ -k _l -k gettext -k lazy_gettext -o admin_ui/translations/messages.pot .
	$(BIN)/pybabel update -i admin_ui/translations/messages.pot -d admin_ui/translations -D messages --width 100
	$(BIN)/pybabel compile -d admin_ui/translations -D messages

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
