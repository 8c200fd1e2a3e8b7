# `make install` gives a user every command (no root), `make demo` records the simulated rig, `make test`
# installs everything (Debian packages, Label Studio, test tools) and runs the tests.
PYTHON ?= python3
VENV ?= .venv
LS_VENV ?= .venv-labelstudio
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# What a user runs, all from wheels (no root): curation, the Label Studio client, NI-DAQ/sound card/OpenCV,
# object storage and Dask, DVC, features. Not here: `aravis` (builds against system libraries:
# scripts/system-deps.sh) and `torch` (a multi-GB download; `$(PIP) install -e '.[torch]'` when you need it).
USER_EXTRAS ?= curation,labelstudio,hardware,scale,dvc,features
# The tests also need those two and the test tools.
EXTRAS ?= $(USER_EXTRAS),aravis,torch,dev

.PHONY: install install-dev system-deps labelstudio-install labelstudio demo sim-runs dataset test test-integration test-readme lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[$(USER_EXTRAS)]"
	touch $@

install: $(VENV)/.installed
	@echo "installed weldctl, dvc and python in $(VENV)/; make them available in this shell: source $(VENV)/bin/activate"

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -e ".[$(EXTRAS)]"
	touch $@

install-dev: system-deps $(VENV)/.installed-dev labelstudio-install

system-deps:
	./scripts/system-deps.sh

# Label Studio pins its own Django stack, so it gets a venv of its own; tests find it through LABEL_STUDIO_BIN.
labelstudio-install: $(LS_VENV)/.installed
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q --upgrade pip
	$(LS_VENV)/bin/pip install -q "label-studio>=1.20,<2"
	touch $@

# A lab's own Label Studio on this machine: data (and the CSV/PNG media `weldctl label push` renders) under
# $(LS_HOME). Export the same document root for weldctl: see docs/labelling.md. Nothing is sent outside:
# error reporting (server and browser) and analytics are off, and no version check.
LS_HOME ?= $(CURDIR)/labelstudio-data
LS_PORT ?= 8080
LS_ARGS ?=
labelstudio: labelstudio-install
	mkdir -p $(LS_HOME)/data $(LS_HOME)/files
	LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=$(LS_HOME)/files \
	SENTRY_DSN= FRONTEND_SENTRY_DSN= COLLECT_ANALYTICS=false LATEST_VERSION_CHECK=false \
	$(LS_VENV)/bin/label-studio start --no-browser --internal-host 127.0.0.1 --port $(LS_PORT) \
		--data-dir $(LS_HOME)/data $(LS_ARGS)

demo: install
	$(VENV)/bin/weldctl record --run-id R0042 --overwrite
	$(VENV)/bin/weldctl inspect runs/R0042.zarr
	@echo "next: source $(VENV)/bin/activate, then follow README.md (weldctl view R0042, weldctl segment R0042, ...)"

# A dataset repository of simulated runs: $(DS)/runs + $(DS)/labels.jsonl (from the simulator's truth), with the
# pipeline (dvc.yaml, params.yaml) beside them. Your own recordings stay in runs/ here.
DS ?= ../sim-ds
SIM_RUNS ?= 12
sim-runs: install
	mkdir -p $(DS)
	for f in dvc.yaml params.yaml; do test -e $(DS)/$$f || cp $$f $(DS)/; done
	$(PY) scripts/sim_runs.py --out $(DS)/runs --n $(SIM_RUNS)
	$(VENV)/bin/weldctl label from-truth $(DS)/runs --out $(DS)/labels.jsonl

# Segments -> samples -> split -> balance -> augment -> build -> card, under DVC, in $(DS).
dataset: install
	test -d $(DS)/runs || $(MAKE) sim-runs
	cd $(DS) && { test -d .git || git init -q; }
	cd $(DS) && test -d .dvc || { cd $(DS) && $(CURDIR)/$(VENV)/bin/dvc init -q && \
		$(CURDIR)/$(VENV)/bin/dvc config core.analytics false && \
		$(CURDIR)/$(VENV)/bin/dvc config cache.type reflink,hardlink,copy; }
	cd $(DS) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" dvc repro

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MAKE) typecheck
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q --durations=25

test-integration: install-dev
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q -m integration

# Every shell block of README.md and the docs it links, in order, in a fresh clone (tests/docs/test_readme.py).
test-readme: install-dev
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q tests/docs/test_readme.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# mypy cannot follow the package-dir map of the editable install (weldctl.schema -> schema/), so it checks
# a tree of links named as they are imported. Strict on weldctl.schema (see [tool.mypy] in pyproject.toml).
TYPECHECK_TREE := build/typecheck
typecheck: $(VENV)/.installed-dev
	rm -rf $(TYPECHECK_TREE) && mkdir -p $(TYPECHECK_TREE)/weldctl
	for pkg in schema daq curation cli; do ln -s $(CURDIR)/$$pkg $(TYPECHECK_TREE)/weldctl/$$pkg; done
	MYPYPATH=$(TYPECHECK_TREE) $(VENV)/bin/mypy -p weldctl.schema -p weldctl.daq -p weldctl.curation -p weldctl.cli

bench: install-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(LS_VENV) runs build *.egg-info
