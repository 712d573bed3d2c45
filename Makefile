# bulwark.hardening developer entry points. `make test` is what CI runs
# (.ci/run); from a fresh machine it installs everything it needs and skips
# what is already there.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
REQUIREMENTS ?= requirements-dev.txt
BIN := $(CURDIR)/$(VENV)/bin
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/bulwark/hardening
# One Molecule scenario (a directory under molecule/); empty = all of them.
SCENARIO ?=
# `make bench BASE=<git ref>`: also measure that commit, in the same run.
BASE ?=

VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/dist/bulwark-hardening-$(VERSION).tar.gz
# `make compat`: the newest ansible on PyPI, with the newest Python 3.12+ here.
COMPAT_ANSIBLE := 14.5.0
COMPAT_ANSIBLE_CORE := 2.21.5
COMPAT_PYTHON ?= $(shell scripts/newest-python.sh)
GATE := scripts/gate.sh

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR ?= false
export PY_COLORS ?= 0

.PHONY: help test lint unit molecule sslyze images docker demo demo-clean bench venv collection build clean compat readmes changelog-release

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

test: lint unit molecule ## Everything CI checks: lint, unit tests, all Molecule scenarios

$(VENV)/.installed: $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(REQUIREMENTS)
	touch $@

venv: $(VENV)/.installed ## Create the pinned virtualenv

# sslyze in a virtualenv of its own (its cryptography pin is older than ours),
# the same one for `make compat`: it audits the targets, not the collection.
SSLYZE_PYTHON ?= python3
.venv-sslyze/.installed: requirements-sslyze.txt
	$(SSLYZE_PYTHON) -m venv .venv-sslyze
	.venv-sslyze/bin/pip install --quiet -r requirements-sslyze.txt
	touch $@

sslyze: .venv-sslyze/.installed ## The sslyze TLS auditor (.venv-sslyze), for the nginx_proxy scenario

# The collection is linked into a collections path so that bulwark.hardening.*
# resolves by FQCN for ansible-playbook, ansible-doc and the unit tests.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

collection: $(COLLECTION_LINK)

docker: ## Make sure a Docker engine answers (installs and starts one when root on Debian)
	scripts/ensure-docker.sh

images: docker ## Build the Debian 12/13 and peer images (cached)
	scripts/build-images.sh

lint: venv collection ## Every gate: style, specs, docs, the built tarball as Galaxy/Automation Hub check it, sanity
	$(GATE) yamllint yamllint --strict .
	$(GATE) ruff ruff check .
	$(GATE) ruff-format ruff format --check .
	$(GATE) argument-specs $(BIN)/python scripts/check_argument_specs.py
	$(GATE) role-readmes $(BIN)/python scripts/role_readme.py --check
	$(GATE) ansible-lint ansible-lint --offline
	$(GATE) ansible-doc $(BIN)/python scripts/check_docs.py
	$(GATE) example-inventory scripts/check-example-inventory.sh
	$(GATE) changelog antsibull-changelog lint
	rm -rf build/dist
	$(GATE) build ansible-galaxy collection build --output-path build/dist .
	$(GATE) install-check scripts/check_install.sh $(TARBALL)
	$(GATE) galaxy-importer scripts/galaxy-importer.sh $(TARBALL)
	$(GATE) sanity scripts/sanity.sh $(TARBALL)
	$(GATE) antsibull-docs antsibull-docs lint-collection-docs --plugin-docs build/sanity/ansible_collections/bulwark/hardening
	rm -rf build/ee
	$(GATE) ee ansible-builder create -f execution-environment.yml -c build/ee
	@echo "lint: ok"

readmes: venv ## Regenerate roles/*/README.md from meta/argument_specs.yml
	$(BIN)/python scripts/role_readme.py

unit: venv collection ## Unit tests for the plugins
	pytest tests/unit -q -p no:cacheprovider

molecule: venv sslyze collection images ## All Molecule scenarios (MOLECULE_JOBS at a time), or one with SCENARIO=name
	scripts/ensure-chromium.sh
	scripts/run-molecule.sh $(SCENARIO)

demo: venv collection images ## Apply playbooks/site.yml to a throwaway container, then a posture summary (logs: build/demo/)
	scripts/demo.sh

# BASE=<git ref>: measure that commit too, in the same run (ratios new/base).
# BENCH_PARTS (floor,rerun,fleet,ssh; mitogen on request), BENCH_HOSTS (10).
bench: venv collection images ## Time site.yml: converge vs apt floor, no-change rerun by role, 10 hosts, SSH (build/bench/)
	BASE="$(BASE)" $(BIN)/python scripts/bench.py

demo-clean: ## Remove the demo container
	docker rm -f bulwark-demo >/dev/null 2>&1 || true

build: venv collection ## Build the collection tarball into build/dist
	ansible-galaxy collection build --force --output-path build/dist .

# Newest ansible-core: lint, unit tests and the `bed` scenario in .venv-compat.
build/requirements-compat.txt: requirements-dev.txt Makefile
	mkdir -p build
	sed -E 's/^ansible==.*/ansible==$(COMPAT_ANSIBLE)/; s/^ansible-core==.*/ansible-core==$(COMPAT_ANSIBLE_CORE)/' $< >$@

compat: build/requirements-compat.txt ## lint, unit and Molecule `bed` under the newest ansible-core (needs Python 3.12+)
	@test -n "$(COMPAT_PYTHON)" || { echo "compat: no Python 3.12 or newer on this machine" >&2; exit 1; }
	$(MAKE) VENV=.venv-compat PYTHON=$(COMPAT_PYTHON) REQUIREMENTS=build/requirements-compat.txt lint unit
	$(MAKE) VENV=.venv-compat PYTHON=$(COMPAT_PYTHON) REQUIREMENTS=build/requirements-compat.txt molecule SCENARIO=bed
	@echo "compat: ok with $$(.venv-compat/bin/ansible --version | head -n 1) on $$(.venv-compat/bin/python --version)"

changelog-release: venv ## Release $(VERSION): fold the fragments into CHANGELOG.rst (run once, after the last merge)
	antsibull-changelog release --version $(VERSION)

clean: ## Remove build output (keeps the virtualenv and images)
	rm -rf build .pytest_cache .ruff_cache
