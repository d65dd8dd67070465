# iotdetect: every target bootstraps what it needs on a fresh Debian machine.
#   make test   validate rules, check pcaps, run unit tests and every rule case on Suricata
#   make dist   the release: bootstrap, validate, regression suite, then dist/iotdetect-<version>/
VENV    ?= .venv
PY      := $(VENV)/bin/python
IOT     := $(VENV)/bin/iotdetect
PYTEST  := $(VENV)/bin/pytest
REPORTS ?= reports
# One pytest worker per core (pytest-xdist). A plan's cached traffic is rendered once, by whichever
# worker needs it first (harness/cases/pcaps.py ensure: a lock per plan).
PYTEST_ARGS ?= -q -n auto

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
	$(PYTEST) $(PYTEST_ARGS) --junitxml=$(REPORTS)/pytest.xml

pcaps: python
	$(IOT) pcaps

golden: python
	$(IOT) golden --bless

dist: setup
	$(IOT) validate
	$(IOT) pcaps --check
	$(PYTEST) $(PYTEST_ARGS) --junitxml=$(REPORTS)/pytest.xml
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

# pySigma (Splunk and Kusto backends) for the side-by-side figures comes with the `sigma` extra.
# BENCH_ARGS=--big adds the 50k-rule library (validate and build; its 100k pcaps take long to generate).
# IOTDETECT_SCALE=1: the no-quadratic-step shape test (2.5k vs 5k rules, ~20 s of CPU; not in make test).
# bench/sensor.py: Suricata's throughput with no rules and with the pack on a generated IoT mix
# (~350 MB, cached under .iotdetect-cache/sensorbench/), then the costliest rules by leave-one-out.
bench: setup
	$(PY) bench/run.py
	IOTDETECT_SCALE=1 $(PYTEST) -q tests/test_bench_scale.py
	$(PY) bench/e2e.py $(BENCH_ARGS)
	$(PY) bench/sensor.py $(SENSOR_BENCH_ARGS)

clean:
	rm -rf build dist $(REPORTS) .pytest_cache
