# iotdetect: every target bootstraps what it needs on a fresh Debian machine.
#   make test   validate rules, check pcaps, run unit tests and every rule case on Suricata
#   make dist   the release: bootstrap, validate, regression suite, then dist/iotdetect-<version>/
VENV    ?= .venv
PY      := $(VENV)/bin/python
IOT     := $(VENV)/bin/iotdetect
PYTEST  := $(VENV)/bin/pytest
REPORTS ?= reports

.PHONY: setup system python node test pcaps dist golden bench quality corpus captures clean

setup: system python node

system:
	./scripts/bootstrap-debian.sh

python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dist,sigma]'
	touch $@

node: node_modules/.installed
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: setup
	$(IOT) validate
	$(IOT) pcaps --check
	$(PYTEST) -q --junitxml=$(REPORTS)/pytest.xml

pcaps: python
	$(IOT) pcaps

golden: python
	$(IOT) golden --bless

dist: setup
	$(IOT) validate
	$(IOT) pcaps --check
	$(PYTEST) -q --junitxml=$(REPORTS)/pytest.xml
	$(IOT) dist --out dist

# Per-rule detection quality: generated vs real-capture cases, alerts per case, overlaps.
quality: setup
	.venv/bin/python bench/quality.py

# The whole pack over a folder of other people's captures (read only): alerts per pcap and rule,
# silent protocol-relevant pcaps. NETWORKS=plan.yaml uses that plan; default: one derived per pcap.
CORPUS ?= corpus
corpus: python
	$(PY) bench/corpus.py $(CORPUS) $(if $(NETWORKS),--networks $(NETWORKS)) $(CORPUS_ARGS)

# Rebuild the real-client captures (root; Debian packages of captures/README.md). Never run by CI:
# the pcaps are committed and replayed by `make test`.
captures:
	bash captures/install-lab-deps.sh
	python3 captures/lab.py

# pySigma, for the side-by-side figures only: its own venv, never part of make test.
SIGMA_VENV := bench/.venv-sigma
$(SIGMA_VENV)/.installed:
	python3 -m venv $(SIGMA_VENV)
	$(SIGMA_VENV)/bin/pip install -q pysigma==1.5.1 pysigma-backend-splunk==2.1.0 pysigma-backend-kusto==1.0.1
	touch $@

# BENCH_ARGS=--big adds the 50k-rule library (its pcaps take long to generate).
bench: setup $(SIGMA_VENV)/.installed
	$(PY) bench/run.py
	$(PY) bench/e2e.py $(BENCH_ARGS)

clean:
	rm -rf build dist $(REPORTS) .pytest_cache
