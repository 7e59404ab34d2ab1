# Two entry points for people (README): `make demo` and `make test`.
# Both set everything up first; re-running is fast when nothing is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 / Raspberry Pi OS bookworm packages the agent, the tests and the demo need
# (python3-cups and python3-sane: the installer test installs the edge the way a Pi does).
APT_PACKAGES := cups cups-client cups-ipp-utils cups-filters libcups2-dev \
	sane-utils libsane1 libsane-dev mosquitto mosquitto-clients \
	python3 python3-venv python3-dev build-essential pkg-config \
	python3-cups python3-sane \
	avahi-daemon dbus systemd chromium chromium-driver \
	postgresql-15
# postgresql-15: the tests run central's store on a private PostgreSQL too (harness/postgres.py).

.PHONY: setup system-packages venv demo test test-pure bench clean

setup: system-packages venv

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

# The tests and the demo run both roles: the base, the edge extra (its hardware and PDF
# libraries) and the test tools. .venv may come from any python3, so pip may build pycups and
# python-sane here (the headers above are for that).
$(VENV)/.installed: pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[edge,central,test]'
	@touch $@

demo: setup
	$(SUDO) $(VPY) -m harness.demo

# The suite takes about 5 minutes; the time limit only guards CI against a hung run.
# It runs as root (through sudo when needed): the private cupsd and the avahi-daemon that
# Debian's ippeveprinter needs for DNS-SD write where only root may.
test: setup
	$(SUDO) timeout --kill-after=30 3000 $(VPY) -m pytest -p no:cacheprovider

# The fast part alone (decisions, parsers, contract; no server started): about 10 s.
test-pure: venv
	$(VPY) -m pytest -p no:cacheprovider -m pure -q

bench: setup
	$(SUDO) $(VPY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache
