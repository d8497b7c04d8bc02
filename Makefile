# The two entry points of the README: `make demo` and `make test`. Both install what they need first.
VENV ?= .venv
PYTEST_ARGS ?= -n 2 --durations=25

.PHONY: setup demo test
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	VENV=$(VENV) bash scripts/setup.sh

demo: setup
	$(VENV)/bin/mcunets build --arch effnet --board qemu-m4 --profile

test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
