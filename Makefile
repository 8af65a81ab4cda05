# The two commands: `make run` (the whole system locally) and `make test` (the whole suite).
# Both install what is missing first: the system packages (Kamailio, sipp, the pjsua2 build's
# compiler and headers), a virtualenv with the project, and our pjsua2 build.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TENANT ?= demo

.PHONY: run test call token synth deps system-deps console reset clean

run: deps console
	$(BIN)/python -m devstack run

# The console's own unit tests (vitest, a few seconds), then the whole pytest suite.
test: deps console
	cd console && npm test --silent
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The admin console (console/): its pinned packages (package-lock.json) and a build into
# console/dist, which `make run` serves; rebuilt when its sources change.
CONSOLE_SOURCES := $(shell find console -path console/node_modules -prune -o -path console/dist -prune -o -type f -print 2>/dev/null)
console: console/dist/index.html

console/dist/index.html: $(CONSOLE_SOURCES) | system-deps
	cd console && npm ci --no-audit --no-fund --loglevel=error && npm run build

# While `make run` runs, in another terminal: a test call to the AI as the demo's extension 300
# (DIGITS=215 keys an extension after the greeting; RECORD=ai.wav keeps what the AI said).
call: $(STAMP)
	@$(BIN)/python -m devstack call $(if $(DIGITS),--digits "$(DIGITS)") $(if $(RECORD),--record "$(RECORD)")

# Forget what `make run` kept (trunks, agents, directories, numbers): the next run starts empty.
reset:
	rm -f .state/aws-*.json .state/snapshot-key .state/run.env

# cdk synth for dev, staging and prod with cdk-nag's AwsSolutions checks (also run by the tests).
synth: $(STAMP) console
	PYTHON=$(BIN)/python infra/cdk/synth_all.sh

token: $(STAMP)
	@$(BIN)/python -m devstack token --tenant "$(TENANT)"

deps: $(STAMP) system-deps

system-deps:
	@PYTHON=$(PYTHON) scripts/install-system-deps.sh

# pjsua2 is built from the pinned pjproject release into a cache outside the clone (a few
# minutes on a fresh machine, reused afterwards): scripts/build_pjsua2.py.
$(STAMP): pyproject.toml scripts/build_pjsua2.py $(wildcard edge/sip/native/*) | system-deps
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# chalice pins pip < 26.3; the pjsua2 wheel is packaged with wheel
	$(BIN)/python -m pip install -q --upgrade "pip<26.3" "wheel>=0.42,<1"
	$(BIN)/python -m pip uninstall -q -y pjsua2-python 2>/dev/null || true  # the old PyPI wheel
	wheels="$$($(BIN)/python scripts/build_pjsua2.py)" \
	  && $(BIN)/python -m pip install -q --force-reinstall --no-deps "$$wheels"/pjsua2-*.whl \
	  && $(BIN)/python -m pip install -q --find-links "$$wheels" -e ".[dev,pipecat,speech-bench]" \
	  && $(BIN)/python -m pip check
	# The applications (edge, agents, functions, devstack, control) run from this tree, not
	# from the distribution (pyproject.toml): put it on the venv's path, whatever the cwd.
	$(BIN)/python -c 'import sys, sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "smartalex-source-tree.pth").write_text(sys.argv[1] + "\n")' "$(CURDIR)"
	@touch $@

clean:
	rm -rf $(VENV) .state .pytest_cache console/node_modules console/dist
