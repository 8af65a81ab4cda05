# The two commands: `make run` (the whole system locally) and `make test` (the whole suite).
# Both install what is missing first: a virtualenv with the project, and Kamailio + sipp.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TENANT ?= demo

.PHONY: run test token synth deps system-deps clean

run: deps
	$(BIN)/python -m devstack run

test: deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# cdk synth for dev, staging and prod with cdk-nag's AwsSolutions checks (also run by the tests).
synth: $(STAMP)
	PYTHON=$(BIN)/python infra/cdk/synth_all.sh

token: $(STAMP)
	@$(BIN)/python -m devstack token --tenant "$(TENANT)"

deps: $(STAMP) system-deps

system-deps:
	@scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# chalice pins pip < 26.3
	$(BIN)/python -m pip install -q --upgrade "pip<26.3"
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

clean:
	rm -rf $(VENV) .state .pytest_cache
