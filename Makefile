# One command each: `make demo` records the simulated rig, `make test` installs everything and runs the tests.
PYTHON ?= python3
VENV ?= .venv
LS_VENV ?= .venv-labelstudio
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
EXTRAS ?= curation,labelstudio,hardware,aravis,scale,dvc,features,torch,dev

.PHONY: install install-dev system-deps labelstudio-install labelstudio demo sim-runs dataset test test-integration lint typecheck bench clean

$(VENV)/.installed-core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

install: $(VENV)/.installed-core

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
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

# Simulated recordings + their truth labels: the inputs of the dataset pipeline (dvc.yaml).
SIM_RUNS ?= 12
sim-runs: install
	$(PY) scripts/sim_runs.py --out runs --n $(SIM_RUNS)
	$(VENV)/bin/weldctl label from-truth runs --out labels.jsonl

# Segments -> samples -> split -> balance -> augment -> build -> card, under DVC.
dataset: install-dev
	test -d runs || $(MAKE) sim-runs
	test -d .dvc || { $(VENV)/bin/dvc init -q && $(VENV)/bin/dvc config cache.type reflink,hardlink,copy; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/dvc repro

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MAKE) typecheck
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q

test-integration: install-dev
	LABEL_STUDIO_BIN=$(CURDIR)/$(LS_VENV)/bin/label-studio $(PY) -m pytest -q -m integration

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
