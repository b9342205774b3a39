# The course in two commands:  make lab  (set up, then open JupyterLab)  ·  make test  (set up, then every test)
# Setup is idempotent: .venv is created once, and reinstalled only when pyproject.toml or constraints.txt change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
SITE_STAMP := $(VENV)/.course-site-installed
comma := ,
PORT   ?= 8888

.PHONY: help install lab test lint unit notebooks execute figures bench site lock clean
.DEFAULT_GOAL := help

help:
	@echo "make lab        set up .venv (first time only) and open the course in JupyterLab"
	@echo "make test       set up .venv (first time only) and run every test: ruff, unit tests, notebooks (nbval)"
	@echo "make install    only set up .venv"
	@echo "make execute    re-run every notebook top to bottom in a fresh kernel and store its outputs"
	@echo "make figures    regenerate every PNG in figures/"
	@echo "make bench      print the benchmarks in benchmarks/"
	@echo "make site       build the course website into site/ from the stored notebooks (open site/index.html)"
	@echo "make environment.yml   regenerate environment.yml from pyproject.toml"
	@echo "make lock       refresh constraints.txt (exact versions) from the current .venv"
	@echo "make clean      remove .venv and caches"

install: $(STAMP)

# the venv (created once) and the course installed into it with the extras given
define install_course
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "The course needs Python 3.11 or newer; '$(PYTHON)' is older. Try: make $(MAKECMDGOALS) PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --no-compile --quiet --disable-pip-version-check -c constraints.txt -e ".[$(1)]"
	$(BIN)/python -c "$$COMPILE_ALL"
endef

# pip compiles the installed packages' bytecode one file at a time (half of a fresh install's minute); compiling
# them afterwards on every core takes half as long. A file that does not compile (torch ships one written for
# Python 3.12) is skipped silently, as pip does.
define COMPILE_ALL
import compileall, sysconfig
for path in sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}):
    compileall.compile_dir(path, quiet=2, workers=0)
endef
export COMPILE_ALL

$(STAMP): pyproject.toml constraints.txt
	$(call install_course,dev)
	@touch $(STAMP)
	@echo "course environment ready in $(VENV)"

# The website's tools (the optional extra "site") come on top, for make site and make test only; make lab never
# needs them. One pip run installs everything these targets need (it also satisfies make lab's stamp).
$(SITE_STAMP): pyproject.toml constraints.txt
	$(call install_course,dev$(comma)site)
	@touch $(STAMP) $(SITE_STAMP)
	@echo "course environment (with the website's tools) ready in $(VENV)"

# JupyterLab refuses to run as root unless told; containers often run as root
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install
	cd notebooks && ../$(BIN)/jupyter lab --ServerApp.port=$(PORT) $(ROOT_FLAG) 00_start_here.ipynb

lint: install
	$(BIN)/ruff check .

unit: install
	$(BIN)/python -m pytest tests

# Tests run on TEST_JOBS processes (pytest-xdist), whole files at a time, so each notebook keeps one kernel in order;
# TEST_JOBS=0 runs everything in one process. The longest files are handed out first (the browser tests, the
# website's, the distributed runs', then the notebooks), so that the many short test files even out the two
# processes at the end.
TEST_JOBS ?= 2
TEST_ORDER := tests/browser tests/test_site.py tests/test_distributed.py tests/test_widgets.py notebooks tests
# Each test process, and every kernel, server and worker it starts, computes on TEST_THREADS threads: with two test
# processes on two cores, torch's default (a thread per core) makes them wait on each other (notebook 05's
# noisy-quadratic cell took 31 s instead of 3). The stored outputs hold on one thread as on the two they were made on.
TEST_THREADS ?= 1

# Notebooks are compared cell by cell with their stored outputs (see tools/nbval_sanitize.cfg).
NBVAL_FLAGS := --nbval --nbval-current-env --nbval-sanitize-with tools/nbval_sanitize.cfg
notebooks: install
	$(BIN)/python -m pytest $(NBVAL_FLAGS) notebooks

test: $(SITE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python tools/sync_environment.py --check
	OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(TEST_ORDER) $(NBVAL_FLAGS)

execute: install
	$(BIN)/python tools/execute_notebooks.py $(NB)

bench: install
	$(BIN)/python benchmarks/optimizer_step.py
	$(BIN)/python benchmarks/playground_latency.py
	$(BIN)/python benchmarks/trajectory_speed.py --repeats 100
	$(BIN)/python benchmarks/browser_latency.py
	$(BIN)/python benchmarks/training_digits.py
	$(BIN)/python benchmarks/mnist1d_training.py

figures: install
	$(BIN)/python -m course_lib.figures

site: $(SITE_STAMP)
	$(BIN)/python docs/build_site.py --out site

environment.yml: pyproject.toml
	$(PYTHON) tools/sync_environment.py

lock: install
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check \
	  | grep -v -E '^(torch|optim-course)==' > constraints.txt.new
	{ echo "# Exact versions the course is tested with (make lock). torch is pinned in pyproject.toml."; \
	  cat constraints.txt.new; } > constraints.txt && rm constraints.txt.new

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis site build/site
	find . -name __pycache__ -prune -exec rm -rf {} +
