# pcf — set-up, demo and tests on a fresh Debian machine with Python 3.11.
# `make demo` and `make test` install what they need; both are idempotent.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DEBS   := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core poppler-utils fontconfig chromium postgresql graphviz
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench sysdeps venv background clean

demo: venv sysdeps background
	$(BIN)/pcf footprint examples/battery/nmc811-pack.yaml --out out --label --report --monte-carlo 1000 --seed 1
	$(BIN)/pcf footprint examples/pv/mono-si-module-cn.yaml --out out --label --report
	@echo "demo outputs in out/:" && ls -1 out

# lint-imports first: a layer violation or an import cycle (pyproject [tool.importlinter]) fails the build.
test: venv sysdeps background
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

# Every benchmarks/*.py in turn (timed runs, not tests); each prints `<name>: <metric>=<value>` last,
# and a `target: ...` line per target it measures (benchmarks/support/targets.py); the run ends with
# the table of all targets. `make bench BENCH="fast_commands background_cache"` runs only those.
# benchmarks/fuzz.py runs 500 model mutants here (10,000 alone); `make bench FULL=1` runs its full counts.
bench: venv background
	@$(BIN)/python benchmarks/support/run_all.py $(if $(FULL),--full) $(BENCH)

# Debian packages WeasyPrint needs, a CJK font (without one Chinese renders as boxes), poppler-utils,
# chromium (headless, for the tests of the public label-verification pages), postgresql (the tests start
# a throw-away server of their own, tests/pgserver.py, and run the registry tests on it too), graphviz (`dot`
# lays out the report's system-boundary diagram, pcf/render/boundary.py).
sysdeps: .stamps/sysdeps
.stamps/sysdeps: Makefile
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ -n "$(SUDO)" ]; then echo "installing$$missing with sudo (not running as root)"; fi; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p .stamps && touch $@

venv: $(VENV)/.installed
# The exact versions tested (constraints.txt, scripts/update-constraints) within pyproject's ranges.
$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "pcf needs Python 3.11, found " + sys.version)'
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@touch $@

background: venv
	$(BIN)/pcf setup

clean:
	rm -rf out .stamps
