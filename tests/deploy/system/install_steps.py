"""Installing both roles as docs/operations.md and docs/deploy.md say, and upgrading over the
running system. Each step returns its check line's detail or raises CheckFailed."""
from __future__ import annotations

import re
import shlex

from .container import CHECKOUT, SRC
from .deployment import HOUSE, OPERATOR, PIP_ARGS, UNITS, Deployment
from .report import expect
from .service_steps import self_check

HOUSE_CONFIG = "tests/deploy/system/house-01.toml"
KEPT = ("/etc/culturehouse/central.toml", "/etc/culturehouse/central.env",
        "/etc/culturehouse/edge.toml", "/etc/culturehouse/edge.env", "/etc/culturehouse/ca.crt",
        "/etc/mosquitto/culturehouse.passwd", "/etc/mosquitto/culturehouse.acl",
        "/etc/mosquitto/certs/ca.crt", "/etc/mosquitto/certs/broker.crt",
        "/etc/mosquitto/certs/broker.key")
# A line the "new release" adds to the program: the upgrade must install it, though the
# version number did not change (a `git pull` between releases).
NEW_CODE = "NEW_RELEASE_MARKER = True  # added by the deployment test's upgrade"


def copy_checkout(d: Deployment) -> str:
    """The clone a technician would have: the checkout without the developer's venv and
    build leftovers."""
    d.sh(f"rm -rf {SRC} && mkdir -p {SRC} && tar -C {CHECKOUT} --exclude=./.venv "
         "--exclude=./.git --exclude=__pycache__ --exclude='*.egg-info' --exclude=./build "
         f"-cf - . | tar -C {SRC} -xf -")
    return d.sh(f"find {SRC} -type f | wc -l").stdout.strip() + " files in " + SRC


def installed_packages(d: Deployment) -> int:
    return int(d.sh("dpkg-query -W -f='${Status}\\n' | grep -c 'install ok installed'").stdout)


def run_installer(d: Deployment, role: str, *args: str) -> str:
    """`sudo ./install.sh ROLE …` with the offline pip arguments; its apt step must find
    everything already there."""
    before = installed_packages(d)
    out = d.sh(f"cd {SRC} && CULTUREHOUSE_PIP_ARGS={shlex.quote(PIP_ARGS)} ./install.sh "
               f"{role} " + " ".join(args), check=False, timeout=900)
    expect(out.returncode == 0, f"install.sh {role} exit {out.returncode}\n"
           + out.stdout[-2500:] + out.stderr[-2500:])
    added = installed_packages(d) - before
    expect(added == 0, f"its apt step installed {added} packages the image lacked")
    installed = f"culturehouse-{role} installed"
    expect(installed in out.stdout, f"no {installed!r} in its output:\n{out.stdout[-1500:]}")
    compilers = d.sh("command -v gcc cc x86_64-linux-gnu-gcc || true").stdout.split()
    expect(not compilers, f"a compiler is installed: {compilers}")
    return f"exit 0 with no compiler on the machine, apt step a no-op"


def add_house(d: Deployment, user: str) -> str:
    """`culturehouse-central add-house USER`: the password it prints once."""
    out = d.sh(f"culturehouse-central add-house {user}").stdout
    match = re.search(r"^CULTUREHOUSE_MQTT_PASSWORD=(\S+)$", out, re.M)
    expect(bool(match), f"add-house {user} printed no password line:\n{out}")
    d.passwords[user] = match.group(1)
    return match.group(1)


def set_secret(d: Deployment, env_file: str, variable: str, value: str) -> None:
    """What `sudoedit /etc/culturehouse/ROLE.env` does: the value after VARIABLE=."""
    d.sh(f"sed -i 's|^{variable}=.*|{variable}={value}|' {env_file} && "
         f"grep -q '^{variable}={value}$' {env_file}")


def set_up_central(d: Deployment) -> str:
    """operations.md: the collector's broker user, its secret, a staff login, restart."""
    set_secret(d, "/etc/culturehouse/central.env", "CULTUREHOUSE_CENTRAL_MQTT_PASSWORD",
               add_house(d, "central"))
    d.sh(f"echo {OPERATOR[1]} | culturehouse-central add-user --config "
         f"/etc/culturehouse/central.toml {OPERATOR[0]} --role operator --password-stdin")
    d.sh("systemctl reload mosquitto && systemctl restart culturehouse-central")
    return f"broker user central and its secret, operator login {OPERATOR[0]}, restarted"


def set_up_house(d: Deployment) -> str:
    """deploy.md sections 2 and 3 on this machine: the house's password from central, the
    printer queue (a file:///dev/null stand-in) and the scanner (SANE's test backend)."""
    # The installer started the agent before its CA file was there: it refused the config
    # (exit 2) and systemd did not retry what cannot fix itself (RestartPreventExitStatus).
    first = d.show("culturehouse-edge", "Result", "ExecMainStatus", "NRestarts")
    expect(first == {"Result": "exit-code", "ExecMainStatus": "2", "NRestarts": "0"},
           f"the unfinished install's start: {first}")
    add_house(d, HOUSE)
    d.sh("systemctl reload mosquitto")
    set_secret(d, "/etc/culturehouse/edge.env", "CULTUREHOUSE_MQTT_PASSWORD",
               d.passwords[HOUSE])
    # Central's CA, "copied to the Pi" (here the same machine), where [mqtt] ca_file says.
    d.sh("cp /etc/mosquitto/certs/ca.crt /etc/culturehouse/ca.crt")
    # No printer in the container: CUPS may print to a file only when told so.
    d.sh("sed -i 's/^#\\?FileDevice.*/FileDevice Yes/' /etc/cups/cups-files.conf && "
         "systemctl restart cups")
    d.sh("lpadmin -p house -E -v file:///dev/null -m drv:///sample.drv/generic.ppd "
         "-o job-hold-until-default=indefinite && "
         "lpadmin -p house -o printer-error-policy=retry-job")
    # No scanner either: libsane's test backend stands in (scanimage -L lists test:0).
    d.sh("sed -i 's/^#test$/test/' /etc/sane.d/dll.conf")
    scanners = d.sh("scanimage -L").stdout
    expect("test:0" in scanners, f"scanimage -L lists no test scanner:\n{scanners}")
    d.sh("systemctl restart culturehouse-edge")
    return ("first start refused the unfinished config (exit 2, not retried); edge.env, "
            "ca.crt, queue house → file:///dev/null (jobs held), scanner test:0, restarted")


# ----- upgrade ------------------------------------------------------------------------------

def fingerprint(d: Deployment) -> dict:
    sums = d.sh("sha256sum " + " ".join(KEPT)).stdout
    return {"sums": sums, "pids": {u: d.main_pid(u) for u in UNITS},
            "rows": int(d.sql(f"SELECT count(*) FROM messages WHERE house = '{HOUSE}'")),
            "state": d.sh("ls /var/lib/culturehouse").stdout.split()}


def upgrade(d: Deployment) -> str:
    """operations.md "Upgrades": install again over the running system, both roles."""
    before = fingerprint(d)
    d.sh(f"echo {shlex.quote(NEW_CODE)} >> {SRC}/edge/__init__.py")
    for role, args in (("central", ()), ("edge", ("--config", HOUSE_CONFIG))):
        out = d.sh(f"cd {SRC} && CULTUREHOUSE_PIP_ARGS={shlex.quote(PIP_ARGS)} ./install.sh "
                   f"{role} " + " ".join(args), check=False, timeout=900)
        expect(out.returncode == 0, f"install.sh {role} (upgrade) exit {out.returncode}\n"
               + out.stdout[-2000:] + out.stderr[-2000:])
        expect(f"kept /etc/culturehouse/{role}.toml" in out.stdout,
               f"install.sh {role} did not say it kept the config:\n{out.stdout[-1500:]}")
    after = fingerprint(d)
    expect(after["sums"] == before["sums"], "config or secrets changed:\n" + after["sums"])
    installed = d.sh("/opt/culturehouse/venv/bin/python -c 'import edge; "
                     "print(getattr(edge, \"NEW_RELEASE_MARKER\", False))'").stdout.strip()
    expect(installed == "True", "the new release's code was not installed (same version)")
    for unit in UNITS:
        expect(d.show(unit, "ActiveState")["ActiveState"] == "active", f"{unit} not active")
        expect(after["pids"][unit] != before["pids"][unit], f"{unit} was not restarted")
    expect(after["rows"] >= before["rows"], f"central lost rows: {before['rows']} → "
           f"{after['rows']}")
    expect(set(before["state"]) <= set(after["state"]),
           f"edge state files lost: {before['state']} → {after['state']}")
    d.wait("new telemetry after the upgrade",
           lambda: int(d.sql(f"SELECT count(*) FROM messages WHERE house = '{HOUSE}'"))
           > after["rows"], 60, every=2)
    for role in ("central", "edge"):  # "check … # after"
        self_check(d, role)
    return (f"new code installed, config, secrets and broker users/ACL/certificates kept, "
            f"both units restarted, {after['rows']} rows and {len(after['state'])} state "
            "files kept, telemetry flows again, both checks pass")

