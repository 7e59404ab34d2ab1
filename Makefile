# Two entry points for people (README): `make demo` and `make test`.
# Both set everything up first; re-running is fast when nothing is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 / Raspberry Pi OS bookworm packages the agent, the tests and the demo need
# (python3-cups and python3-sane: the installer test installs the edge the way a Pi does;
# fonts-dejavu-core: the font central's PDF report embeds for Vietnamese; poppler-utils:
# pdftotext and pdftoppm, with which the tests read and rasterise that PDF;
# nats-server: the clustered broker of the scale-out tests;
# prometheus, with promtool: a test scrapes central with a real Prometheus, and the shipped
# alert rules are checked and unit-tested with promtool).
APT_PACKAGES := cups cups-client cups-ipp-utils cups-filters libcups2-dev \
	sane-utils libsane1 libsane-dev mosquitto mosquitto-clients \
	python3 python3-venv python3-dev build-essential pkg-config \
	python3-cups python3-sane \
	fonts-dejavu-core poppler-utils \
	avahi-daemon dbus systemd chromium chromium-driver \
	nats-server prometheus \
	espeak-ng sox alsa-utils \
	postgresql-15
# espeak-ng, sox, alsa-utils: spoken prompts are made by espeak-ng, measured by sox (length,
# loudness) and played by aplay to ALSA's null device or a FIFO in tests/voice and bench.
# postgresql-15: the tests run central's store on a private PostgreSQL too (harness/postgres.py).
# make deploy-test: builds a Debian tree (mmdebstrap) and boots it (systemd-nspawn).
APT_PACKAGES += mmdebstrap systemd-container

.PHONY: setup system-packages venv demo test test-suite deploy-test test-pure bench clean

# Phone printing and searchable scans (issue 15): avahi-utils gives avahi-publish, so ippfind
# can resolve the queue cupsd shares on loopback; ocrmypdf with tesseract-ocr-vie makes scans
# searchable; fonts-dejavu-core renders the Vietnamese OCR test page and poppler-utils'
# pdftotext reads its text back.
APT_PACKAGES += avahi-utils ocrmypdf tesseract-ocr-vie fonts-dejavu-core poppler-utils

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
# libraries), the central extra (its report libraries) and the test tools. .venv may come
# from any python3, so pip may build pycups and python-sane here (the headers above are for
# that).
$(VENV)/.installed: pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[edge,central,test]'
	@touch $@

demo: setup
	$(SUDO) $(VPY) -m harness.demo

# `make test` is the suite, then the deployment test (CI runs exactly this).
test: test-suite deploy-test

# The suite takes about 15 minutes on 2 cores; the time limit only guards CI against a hung run.
# It runs as root (through sudo when needed): the private cupsd and the avahi-daemon that
# Debian's ippeveprinter needs for DNS-SD write where only root may.
test-suite: setup
	$(SUDO) timeout --kill-after=30 3000 $(VPY) -m pytest -p no:cacheprovider

# Boots Debian bookworm with systemd as PID 1 in a container that has only its own loopback,
# installs central and a house as docs/deploy.md says and checks the units (about 4 minutes;
# the first run also builds the cached tree in /var/cache/culturehouse-deploy, about 1 minute).
# Standard library only: it needs no venv. Root for mmdebstrap and systemd-nspawn.
deploy-test: system-packages
	$(SUDO) timeout --kill-after=30 1800 /usr/bin/python3 -m tests.deploy.system

# The fast part alone (decisions, parsers, contract; no server started): about 10 s.
test-pure: venv
	$(VPY) -m pytest -p no:cacheprovider -m pure -q

bench: setup
	$(SUDO) $(VPY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache
