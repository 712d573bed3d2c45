# bulwark.hardening developer entry points. `make test` is what CI runs
# (.ci/run); from a fresh machine it installs everything it needs and skips
# what is already there.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/bulwark/hardening
# One Molecule scenario (a directory under molecule/); empty = all of them.
SCENARIO ?=

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR ?= false
export PY_COLORS ?= 0

.PHONY: help test lint unit molecule images docker demo demo-clean venv collection build clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

test: lint unit molecule ## Everything CI checks: lint, unit tests, all Molecule scenarios

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create the pinned virtualenv

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

lint: venv collection ## yamllint, ansible-lint, ruff, argument specs, build, docs
	yamllint --strict .
	ruff check .
	ruff format --check .
	$(BIN)/python scripts/check_argument_specs.py
	ansible-lint --offline
	$(BIN)/python scripts/check_docs.py
	ansible-galaxy collection build --force --output-path build/dist . >/dev/null
	@echo "lint: ok"

unit: venv collection ## Unit tests for the plugins
	pytest tests/unit -q -p no:cacheprovider

molecule: venv collection images ## All Molecule scenarios (MOLECULE_JOBS at a time), or one with SCENARIO=name
	scripts/run-molecule.sh $(SCENARIO)

demo: venv collection images ## Apply playbooks/site.yml to a throwaway container, then a posture summary (logs: build/demo/)
	scripts/demo.sh

demo-clean: ## Remove the demo container
	docker rm -f bulwark-demo >/dev/null 2>&1 || true

build: venv collection ## Build the collection tarball into build/dist
	ansible-galaxy collection build --force --output-path build/dist .

clean: ## Remove build output (keeps the virtualenv and images)
	rm -rf build .pytest_cache .ruff_cache
