#!/usr/bin/env bash
# culturehouse installer for Raspberry Pi OS bookworm / Debian 12.
#
#   sudo ./install.sh edge [--config config/houses/house-03.toml]   a cultural house's Pi
#   sudo ./install.sh central                                        the central server
#   sudo ./install.sh uninstall [--purge]                            remove the services
#
# Re-running upgrades in place: the program and the units are replaced; the config
# (/etc/culturehouse/*.toml), the secrets (*.env) and the data are never overwritten.
#
# For tests and image builds:
#   CULTUREHOUSE_ROOT=/tmp/x   install under /tmp/x (etc/, opt/, var/lib/, the unit dir)
#   CULTUREHOUSE_SKIP_SYSTEM=1 do not run apt-get, useradd/usermod, chown or systemctl;
#                              print what would have run ("would run: …")
#   CULTUREHOUSE_PIP_ARGS="…"  extra arguments for pip (e.g. a local --find-links)
#   CULTUREHOUSE_SKIP_PIP=1    make the virtual environment but do not pip-install into it
#   CULTUREHOUSE_PYTHON=/usr/bin/python3  the interpreter the virtual environment is made from
set -euo pipefail
umask 022

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${CULTUREHOUSE_ROOT:-}"
ROOT="${ROOT%/}"
SKIP_SYSTEM="${CULTUREHOUSE_SKIP_SYSTEM:-0}"
# Debian's own interpreter: the one its python3-cups and python3-sane are built for.
PYTHON="${CULTUREHOUSE_PYTHON:-/usr/bin/python3}"
SERVICE_USER="culturehouse"

ETC="$ROOT/etc/culturehouse"
OPT="$ROOT/opt/culturehouse"
VENV="$OPT/venv"
BIN="$ROOT/usr/local/bin"
UNITS="$ROOT/etc/systemd/system"
MOSQUITTO_CONF="$ROOT/etc/mosquitto/conf.d"
MOSQUITTO_ETC="$ROOT/etc/mosquitto"

# Central's Python needs come from PyPI as plain Python or wheels (paho-mqtt, waitress,
# Jinja2): no compiler, no headers.
CENTRAL_APT=(python3 python3-venv sqlite3 mosquitto mosquitto-clients openssl)
EDGE_APT=(cups cups-client cups-filters cups-ipp-utils sane-utils libsane1 python3 python3-venv)
# Debian's builds of the edge extra's libraries (pyproject.toml, culturehouse[edge]). The venv
# sees them (--system-site-packages) and pip takes each one whose version meets the bounds, so
# pycups and python-sane are never compiled; bookworm's gpiozero (outside Raspberry Pi OS),
# Pillow and img2pdf are older than the bounds, and pip fetches wheels for those instead.
EDGE_APT_PYTHON=(python3-cups python3-sane python3-gpiozero python3-pil python3-img2pdf
                 python3-lgpio python3-rpi-lgpio)  # the lgpio pair: Raspberry Pi OS only
# Only when the venv cannot see python3-cups and python3-sane: what pip needs to build them
# (libc6-dev is only a recommendation of gcc, and recommendations are not installed).
EDGE_BUILD_APT=(gcc libc6-dev python3-dev libcups2-dev libsane-dev)

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# Commands that change the real system (packages, users, services) go through here.
system() {
    if [ "$SKIP_SYSTEM" = 1 ]; then
        say "would run: $*"
    else
        "$@"
    fi
}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

need_root() {
    if [ "$SKIP_SYSTEM" != 1 ] && [ "$(id -u)" != 0 ]; then
        die "run as root: sudo $0 $*"
    fi
}

install_packages() {
    system env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# The packages this distribution has (after install_packages ran apt-get update).
install_optional_packages() {
    local pkg found=()
    for pkg in "$@"; do
        if [ "$SKIP_SYSTEM" = 1 ] || apt-cache show "$pkg" >/dev/null 2>&1; then
            found+=("$pkg")
        fi
    done
    [ ${#found[@]} -eq 0 ] || system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${found[@]}"
}

ensure_user() {
    # $@: groups the user should be in; only the ones that exist on this machine.
    local groups=() group
    for group in "$@"; do
        if getent group "$group" >/dev/null; then groups+=("$group"); fi
    done
    if ! getent passwd "$SERVICE_USER" >/dev/null; then
        system useradd --system --user-group --home-dir /var/lib/culturehouse \
            --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
    if [ ${#groups[@]} -gt 0 ]; then
        system usermod -a -G "$(IFS=,; echo "${groups[*]}")" "$SERVICE_USER"
    fi
}

make_venv() {
    mkdir -p "$OPT" "$BIN"
    # One venv for both roles (a machine may run both), with --system-site-packages so the
    # edge can use Debian's python3-cups, python3-sane and python3-lgpio, compiled against
    # the system's libcups, libsane and lgpio, instead of building them with pip.
    if [ ! -x "$VENV/bin/python" ]; then
        local without_pip=()
        [ "${CULTUREHOUSE_SKIP_PIP:-0}" = 1 ] && without_pip=(--without-pip)
        "$PYTHON" -m venv --system-site-packages "${without_pip[@]}" "$VENV"
    fi
}

# pip_install REQUIREMENT: the program with what its role needs; the docs and examples beside.
pip_install() {
    local pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    # shellcheck disable=SC2206  # CULTUREHOUSE_PIP_ARGS is a list of words on purpose
    pip+=(${CULTUREHOUSE_PIP_ARGS:-} --upgrade "$1")
    if [ "${CULTUREHOUSE_SKIP_PIP:-0}" = 1 ]; then
        say "would run: ${pip[*]}"
    else
        "${pip[@]}"
    fi
    mkdir -p "$OPT/share/docs" "$OPT/share/config"
    cp "$SRC"/docs/*.md "$OPT/share/docs/" 2>/dev/null || true
    cp -r "$SRC/config/." "$OPT/share/config/"
}

# When the venv cannot import Debian's cups and sane (a distribution without python3-cups or
# python3-sane, or CULTUREHOUSE_PYTHON not Debian's python3), pip builds pycups and
# python-sane: install the compiler and the headers first.
build_tools_if_needed() {
    if "$VENV/bin/python" -c 'import cups, sane' >/dev/null 2>&1; then
        return
    fi
    say "python3-cups or python3-sane not usable from $VENV: pip will build them"
    install_packages "${EDGE_BUILD_APT[@]}"
}

link_command() {
    ln -sfn "/opt/culturehouse/venv/bin/$1" "$BIN/$1"
}

# install_config NAME TEMPLATE: the config is written once and then belongs to the technician.
install_config() {
    local name="$1" template="$2" target="$ETC/$1.toml"
    mkdir -p "$ETC"
    chmod 0755 "$ETC"
    cp "$template" "$ETC/$name.toml.example"
    chmod 0644 "$ETC/$name.toml.example"
    if [ -e "$target" ]; then
        say "kept $target (the new example is $target.example)"
    else
        cp "$template" "$target"
        chmod 0640 "$target"
        system chown "root:$SERVICE_USER" "$target"
        say "wrote $target: edit it, then run the check"
    fi
}

# install_env NAME VARIABLE: secrets, readable by root only (systemd reads them as root).
install_env() {
    local target="$ETC/$1.env"
    if [ ! -e "$target" ]; then
        (umask 077; printf '%s\n' \
            "# Secrets for culturehouse-$1 (read by systemd; keep this file mode 0600)." \
            "# From: culturehouse-central add-house <house-id>   (see docs/deploy.md)" \
            "$2=" > "$target")
        say "wrote $target: put the password after $2="
    fi
    chmod 0600 "$target"
    system chown root:root "$target"
}

install_unit() {
    mkdir -p "$UNITS"
    install -m 0644 "$SRC/systemd/$1.service" "$UNITS/$1.service"
    system systemctl daemon-reload
    system systemctl enable "$1.service"
    system systemctl restart "$1.service"
}

state_dir() {
    mkdir -p "$1"
    chmod 0750 "$1"
    system chown "$SERVICE_USER:$SERVICE_USER" "$1"
}

install_mosquitto_config() {
    # The broker config and ACL come from config/mosquitto/ (the telemetry work); the ACL and
    # the password file are then managed by `culturehouse-central add-house`, so they are
    # written only once.
    local conf="$SRC/config/mosquitto/mosquitto.conf" acl="$SRC/config/mosquitto/culturehouse.acl"
    if [ ! -f "$conf" ]; then
        say "no config/mosquitto/ in this release: broker left as is"
        return
    fi
    mkdir -p "$MOSQUITTO_CONF"
    install -m 0644 "$conf" "$MOSQUITTO_CONF/culturehouse.conf"
    if [ -f "$acl" ] && [ ! -e "$MOSQUITTO_ETC/culturehouse.acl" ]; then
        install -m 0640 "$acl" "$MOSQUITTO_ETC/culturehouse.acl"
        system chown root:mosquitto "$MOSQUITTO_ETC/culturehouse.acl"
    fi
    if [ ! -e "$MOSQUITTO_ETC/culturehouse.passwd" ]; then
        install -m 0640 /dev/null "$MOSQUITTO_ETC/culturehouse.passwd"
        system chown root:mosquitto "$MOSQUITTO_ETC/culturehouse.passwd"
        say "created an empty broker password file: add central's user with"
        say "  sudo culturehouse-central add-house central"
    fi
    install_broker_certs
    system systemctl enable mosquitto.service
    system systemctl restart mosquitto.service
}

install_broker_certs() {
    # The houses' TLS listener needs a CA and a broker certificate: made once, here, when
    # absent (a commune with its own CA puts ca.crt, broker.crt and broker.key there first).
    local dir="$MOSQUITTO_ETC/certs"
    if [ -f "$dir/ca.crt" ] && [ -f "$dir/broker.crt" ] && [ -f "$dir/broker.key" ]; then
        return
    fi
    command -v openssl >/dev/null || die "openssl is needed to make the broker's certificates"
    local name san ip
    name="${CULTUREHOUSE_BROKER_NAME:-$(hostname -f 2>/dev/null || hostname)}"
    san="DNS:$name,DNS:localhost,IP:127.0.0.1"
    for ip in $(hostname -I 2>/dev/null); do san="$san,IP:$ip"; done
    mkdir -p "$dir"
    (
        cd "$dir"
        umask 077
        openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=culturehouse CA" \
            -keyout ca.key -out ca.crt 2>/dev/null
        openssl req -newkey rsa:3072 -nodes -subj "/CN=$name" -keyout broker.key \
            -out broker.csr 2>/dev/null
        printf 'subjectAltName=%s\n' "$san" > san.ext
        openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -days 3650 -extfile san.ext -out broker.crt 2>/dev/null
        rm -f broker.csr san.ext
    )
    chmod 0644 "$dir/ca.crt" "$dir/broker.crt"
    chmod 0640 "$dir/broker.key"
    system chown root:mosquitto "$dir/broker.key"
    say "made the broker's TLS certificates in /etc/mosquitto/certs (for $san);"
    say "  copy /etc/mosquitto/certs/ca.crt to each house (mqtt.ca_file in edge.toml)"
}

install_edge() {
    local template="$SRC/config/edge.example.toml"
    while [ $# -gt 0 ]; do
        case "$1" in
            --config) template="${2:?--config needs a file}"; shift 2 ;;
            *) usage ;;
        esac
    done
    [ -f "$template" ] || die "no such config: $template"
    need_root edge
    install_packages "${EDGE_APT[@]}"
    install_optional_packages "${EDGE_APT_PYTHON[@]}"
    # gpio: the GPIO chip; lpadmin: release and cancel jobs in CUPS; scanner: USB scanners.
    ensure_user gpio lpadmin lp scanner
    make_venv
    build_tools_if_needed
    pip_install "$SRC[edge]"
    link_command culturehouse-edge
    install_config edge "$template"
    install_env edge CULTUREHOUSE_MQTT_PASSWORD
    state_dir "$ROOT/var/lib/culturehouse"
    install_unit culturehouse-edge
    say "culturehouse-edge installed. Check it with:"
    say "  sudo culturehouse-edge check --config /etc/culturehouse/edge.toml"
}

install_central() {
    [ $# -eq 0 ] || usage
    need_root central
    install_packages "${CENTRAL_APT[@]}"
    ensure_user
    make_venv
    pip_install "$SRC[central]"
    link_command culturehouse-central
    local template="$SRC/config/central.example.toml"
    if [ ! -f "$template" ]; then
        template="$(mktemp)"
        printf '%s\n' '[mqtt]' 'host = "127.0.0.1"' 'username = "central"' '' \
            '[storage]' 'database = "/var/lib/culturehouse-central/central.sqlite"' '' \
            '[web]' 'host = "0.0.0.0"' 'port = 8080' 'language = "vi"' > "$template"
    fi
    install_config central "$template"
    install_env central CULTUREHOUSE_CENTRAL_MQTT_PASSWORD
    state_dir "$ROOT/var/lib/culturehouse-central"
    install_mosquitto_config
    install_unit culturehouse-central
    say "culturehouse-central installed. Check it with:"
    say "  sudo culturehouse-central check --config /etc/culturehouse/central.toml"
}

uninstall() {
    local purge=0
    case "${1:-}" in
        --purge) purge=1 ;;
        "") ;;
        *) usage ;;
    esac
    need_root uninstall
    local unit
    for unit in culturehouse-edge culturehouse-central; do
        if [ -e "$UNITS/$unit.service" ]; then
            system systemctl disable --now "$unit.service"
            rm -f "$UNITS/$unit.service"
            say "removed $unit.service"
        fi
    done
    system systemctl daemon-reload
    rm -f "$BIN/culturehouse-edge" "$BIN/culturehouse-central"
    rm -rf "$OPT"
    rm -f "$MOSQUITTO_CONF/culturehouse.conf"
    if [ "$purge" = 1 ]; then
        rm -rf "$ETC" "$ROOT/var/lib/culturehouse" "$ROOT/var/lib/culturehouse-central"
        rm -f "$MOSQUITTO_ETC/culturehouse.acl" "$MOSQUITTO_ETC/culturehouse.passwd"
        if getent passwd "$SERVICE_USER" >/dev/null; then system userdel "$SERVICE_USER"; fi
        say "purged config, secrets and data"
    else
        say "kept $ETC and the data in /var/lib (use --purge to delete them)"
    fi
}

case "${1:-}" in
    edge) shift; install_edge "$@" ;;
    central) shift; install_central "$@" ;;
    uninstall) shift; uninstall "$@" ;;
    *) usage ;;
esac
