# Two entry points for users: `make demo` and `make test` (see README.md).
VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.ptpbridge-installed
# What the suite and the lab need from Debian: a C compiler and the kernel's
# uapi headers (layout proofs), iproute2/ethtool (lab, timestamping info),
# and the real peers we test against.
DEB_PACKAGES := gcc libc6-dev linux-libc-dev iproute2 ethtool iptables \
                linuxptp chrony ntpsec-ntpdig tshark

.PHONY: test demo deps install clean

deps:
	@extra=""; \
	command -v $(PYTHON) >/dev/null || extra="python3"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || extra="$$extra python3-venv"; \
	bash .ci/install-debian-packages $(DEB_PACKAGES) $$extra

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

install: deps $(STAMP)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/ptpbridge demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .hypothesis
