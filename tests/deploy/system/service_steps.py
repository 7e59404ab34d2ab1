"""The installed units under the container's systemd: notify start, self-checks, dashboard,
telemetry, print/scan/copy, journal priorities, cgroup limits, threads under load, the
watchdog and a graceful stop. Each step returns its check line's detail or raises
CheckFailed."""
from __future__ import annotations

import json
import re
import shlex
import time

from .deployment import HOUSE, OPERATOR, UNITS, Deployment
from .report import expect

UNIT_FILES = "/etc/systemd/system"
# A container has no NTP of its own: the clock line may be the only ✘ (docs/deploy.md).
MAY_FAIL = {"clock"}


def units_active(d: Deployment) -> str:
    parts = []
    for unit in UNITS:
        s = d.show(unit, "Type", "ActiveState", "SubState", "WatchdogUSec", "NRestarts")
        expect(s["Type"] == "notify", f"{unit}: Type={s['Type']}")
        expect((s["ActiveState"], s["SubState"]) == ("active", "running"),
               f"{unit}: {s['ActiveState']}/{s['SubState']}\n" + journal(d, unit))
        parts.append(f"{unit} notify active/running watchdog {s['WatchdogUSec']}")
    return "; ".join(parts)


def journal(d: Deployment, unit: str, lines: int = 30) -> str:
    return d.sh(f"journalctl -u {unit} -n {lines} --no-pager -o cat", check=False).stdout


def self_check(d: Deployment, role: str) -> str:
    out = d.sh(f"culturehouse-{role} check --config /etc/culturehouse/{role}.toml --json",
               check=False)
    try:
        checks = json.loads(out.stdout)["checks"]
    except (ValueError, KeyError):
        raise AssertionError(f"no JSON from check (exit {out.returncode}):\n"
                             + out.stdout[-1500:] + out.stderr[-1500:]) from None
    failed = {c["check"]: c for c in checks if c["status"] == "fail"}
    skipped = [c["check"] for c in checks if c["status"] == "not_checked"]
    unexpected = {k: v for k, v in failed.items() if k not in MAY_FAIL}
    expect(not unexpected, "✘ " + "; ".join(f"{k}: {v['what']} {v['details']}"
                                           for k, v in unexpected.items()))
    ok = len(checks) - len(failed) - len(skipped)
    note = f", ✘ {', '.join(failed)} (no NTP in the container)" if failed else ""
    return f"{ok} ✔{note}" + (f", – {', '.join(skipped)}" if skipped else "")


# Sandbox settings of a unit a transient copy may take; the rest start, stop or share things
# with the running service (its runtime directory, its IPC, its secrets).
NOT_COPIED = ("Type", "NotifyAccess", "WatchdogSec", "ExecStart", "Restart", "RestartSec",
              "RestartPreventExitStatus", "TimeoutStartSec", "TimeoutStopSec",
              "EnvironmentFile", "RuntimeDirectory", "RuntimeDirectoryMode", "StateDirectory",
              "StateDirectoryMode", "RemoveIPC")
READ_CLOCK = ("/opt/culturehouse/venv/bin/python -c 'from common.clock import read_kernel_sync; "
              "print(read_kernel_sync())'")


def clock_in_sandbox(d: Deployment) -> str:
    """The kernel's clock state (adjtimex, read-only) is readable under each unit's own
    sandbox, and reads as it does for root: what the agent stamps and `check` shows."""
    as_root = d.sh(READ_CLOCK).stdout.strip()
    expect(as_root in ("True", "False"), f"root cannot read the clock here: {as_root}")
    for unit in UNITS:
        text = d.sh(f"cat {UNIT_FILES}/{unit}.service").stdout
        service = text.split("[Service]", 1)[1].split("\n[", 1)[0]
        props = [line for line in service.splitlines()
                 if re.match(r"[A-Z]\w*=", line) and line.split("=")[0] not in NOT_COPIED]
        sandboxed = d.sh("systemd-run --quiet --wait --pipe --collect "
                         + " ".join(shlex.quote("--property=" + p) for p in props)
                         + " " + READ_CLOCK).stdout.strip()
        expect(sandboxed == as_root, f"{unit}'s sandbox reads the clock as {sandboxed} "
               f"(None: adjtimex refused), root as {as_root}")
    return (f"adjtimex reads under both units' sandboxes as for root (kernel synchronised: "
            f"{as_root}); no CAP_SYS_TIME, so nothing in them can set it")


def dashboard(d: Deployment) -> str:
    health = d.probe("get", "http://127.0.0.1:8080/healthz")
    expect(health["status"] == 200 and '"ok"' in health["text"], f"/healthz: {health}")
    login = d.probe("get", "http://127.0.0.1:8080/login")
    expect(login["status"] == 200 and "<form" in login["text"], f"/login: {login['status']}")
    houses = d.api("GET", "/api/houses")["houses"]
    return f"/healthz ok, /login 200, /api/houses lists {len(houses)} houses as operator"


def telemetry(d: Deployment) -> str:
    def fresh():
        card = d.card()
        age = (d.now_ms() - (card["last_seen"] or 0)) / 1000
        return card if card["online"] and age < 30 and card["printer"]["state"] else None
    card = d.wait(f"{HOUSE} online at central with fresh figures", fresh, 60, every=2)
    rows = d.sql(f"SELECT count(*) FROM messages WHERE house = '{HOUSE}'")
    return (f"{HOUSE} online (over TLS), version {card['version']}, printer "
            f"{card['printer']['state']}, scanner {card['scanner']['state']}, {rows} rows stored")


def forced_warning(d: Deployment) -> str:
    """A broker restart: the agent logs the lost connection as a warning, and the journal
    files it at warning priority (`-p warning` shows it, and no INFO line)."""
    d.sh("systemctl restart mosquitto")
    warnings = d.wait("the agent's warning in journalctl -p warning", lambda: (lambda out: out if
                      "broker connection lost" in out else None)(
        d.sh("journalctl -u culturehouse-edge -p warning --no-pager -o cat").stdout), 30)
    info = [line for line in warnings.splitlines() if line.startswith("INFO")]
    expect(not info, f"INFO lines at warning priority: {info[:3]}")
    line = next(x for x in warnings.splitlines() if "broker connection lost" in x)
    d.wait(f"{HOUSE} back online after the broker restart", lambda: d.card()["online"], 60, 2)
    return f"journalctl -p warning -u culturehouse-edge: {line.strip()!r}"


def commands_over_tls(d: Deployment, count: int = 60) -> str:
    """Many commands at once while telemetry flows: each answered, the house's TLS session
    never dropped (two threads writing one TLS socket once broke it: "bad record mac")."""
    since = d.sh("date +%s").stdout.strip()
    seen = d.probe("commands", *OPERATOR, HOUSE, str(count))
    expect(seen["sent"] == count and seen["ok"] == count, f"commands: {seen}")
    log = d.sh(f"journalctl -u culturehouse-edge --since @{since} --no-pager -o cat").stdout
    drops = [line for line in log.splitlines() if "broker connection lost" in line]
    expect(not drops, f"{len(drops)} drops: {drops[:3]}")
    return f"{count} pings answered ok in {seen['seconds']} s, no drop"


def print_job(d: Deployment) -> str:
    since = d.now_ms()
    out = d.sh("lp -d house -t deploy-test /etc/os-release").stdout
    job = int(re.search(r"house-(\d+)", out).group(1))
    d.wait_event("print.job_held", since, 60, lambda data: data.get("job") == job)
    d.press("print")
    done = d.wait_event("print.job_completed", since, 90, lambda data: data.get("job") == job)
    completed = d.sh("lpstat -W completed -o house").stdout
    expect(f"house-{job}" in completed, f"CUPS does not list job {job} as completed")
    return f"job {job} held, released by PRINT, completed ({done['data'].get('pages')} pages)"


def scan(d: Deployment) -> str:
    since = d.now_ms()
    d.press("scan")
    done = d.wait_event("scan.completed", since, 120)
    return f"scan.completed: {done['data'].get('pages')} page(s), {done['data'].get('bytes')} bytes"


def copy(d: Deployment) -> str:
    since = d.now_ms()
    d.press("copy")
    done = d.wait_event("copy.completed", since, 120)
    return f"copy.completed: {done['data'].get('pages')} page(s)"


def cgroup_file(d: Deployment, pid: int, controller: str, v1: str, v2: str) -> str:
    """A cgroup attribute of a process: the v1 controller's file, or the unified one."""
    lines = d.sh(f"cat /proc/{pid}/cgroup").stdout.splitlines()
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return d.sh(f"cat /sys/fs/cgroup/{controller}{path}/{v1}").stdout.strip()
    path = next(line.split(":", 2)[2] for line in lines if line.startswith("0::"))
    return d.sh(f"cat /sys/fs/cgroup{path}/{v2}").stdout.strip()


def unit_setting(d: Deployment, unit: str, key: str) -> str:
    text = d.sh(f"cat {UNIT_FILES}/{unit}.service").stdout
    return re.search(rf"^{key}=(\S+)", text, re.M).group(1)


def to_bytes(size: str) -> int:
    return int(size[:-1]) * {"K": 2**10, "M": 2**20, "G": 2**30}[size[-1]]


def cgroup_limits(d: Deployment) -> str:
    parts = []
    for unit in UNITS:
        pid = d.main_pid(unit)
        tasks = cgroup_file(d, pid, "pids", "pids.max", "pids.max")
        memory = cgroup_file(d, pid, "memory", "memory.limit_in_bytes", "memory.max")
        want_tasks, want_memory = (unit_setting(d, unit, "TasksMax"),
                                   unit_setting(d, unit, "MemoryMax"))
        expect(tasks == want_tasks, f"{unit}: pids.max {tasks}, unit says {want_tasks}")
        expect(int(memory) == to_bytes(want_memory),
               f"{unit}: memory limit {memory}, unit says {want_memory}")
        devices = cgroup_file(d, pid, "devices", "devices.list", "cgroup.type")
        expect("a *:* rwm" not in devices, f"{unit}: every device allowed")
        current = cgroup_file(d, pid, "pids", "pids.current", "pids.current")
        parts.append(f"{unit} pids.max {tasks} (now {current}), memory {want_memory}")
    return "; ".join(parts)


def threads_under_load(d: Deployment, unit: str, port: int, connections: int = 200) -> str:
    """Threads idle and while many clients hold half-sent requests: well below TasksMax
    (at most half), the service still answering and alive."""
    pid = d.main_pid(unit)
    limit = int(unit_setting(d, unit, "TasksMax"))
    seen = d.probe("flood", str(port), str(connections), str(pid))
    expect(seen["peak"] <= limit // 2, f"{seen['peak']} threads under load, TasksMax {limit}")
    expect(seen["answered"] and seen["answered"] < 500, f"no answer under load: {seen}")
    expect(d.main_pid(unit) == pid and d.show(unit, "ActiveState")["ActiveState"] == "active",
           f"{unit} did not survive the connections\n" + journal(d, unit))
    return (f"{seen['idle']} threads idle, {seen['peak']} with {seen['held']} connections "
            f"held (TasksMax {limit}), still answering ({seen['answered']})")


def watchdog(d: Deployment) -> str:
    """Alive past WatchdogSec with no restart, then a stopped process (SIGSTOP) is
    restarted by the watchdog, both units at once."""
    started = {}
    for unit in UNITS:
        s = d.show(unit, "NRestarts", "ActiveEnterTimestampMonotonic", "WatchdogUSec",
                   "MainPID")
        expect(s["NRestarts"] == "0", f"{unit} restarted {s['NRestarts']} times already")
        started[unit] = (int(s["MainPID"]), int(s["ActiveEnterTimestampMonotonic"]))
    d.wait("both units up longer than WatchdogSec (60 s)", lambda: all(
        monotonic_us(d) - since > 65_000_000 for _, since in started.values()), 90, 5)
    alive = {u: (monotonic_us(d) - since) / 1e6 for u, (_, since) in started.items()}
    begin = time.monotonic()
    for unit, (pid, _) in started.items():
        d.sh(f"kill -STOP {pid}")

    def restarted():
        for unit in UNITS:
            s = d.show(unit, "NRestarts", "SubState", "MainPID")
            if s["NRestarts"] != "1" or s["SubState"] != "running" or \
                    int(s["MainPID"]) in (0, started[unit][0]):
                return False
        return True
    d.wait("both units restarted by the watchdog", restarted, 150, 2)
    took = time.monotonic() - begin
    for unit in UNITS:
        log = d.sh(f"journalctl -u {unit} --no-pager -o cat").stdout
        expect("Watchdog timeout" in log, f"{unit}: no watchdog timeout in its journal")
    return (f"alive {min(alive.values()):.0f} s with no restart; after kill -STOP both "
            f"restarted by the watchdog in {took:.0f} s")


def monotonic_us(d: Deployment) -> int:
    """systemd's monotonic timestamps: the container shares the host's CLOCK_MONOTONIC."""
    return int(time.monotonic() * 1e6)


def graceful_stop(d: Deployment, unit: str) -> str:
    timeout = unit_setting(d, unit, "TimeoutStopSec")
    begin = time.monotonic()
    d.sh(f"systemctl stop {unit}", timeout=120)
    took = time.monotonic() - begin
    s = d.show(unit, "Result", "ExecMainCode", "ExecMainStatus", "ActiveState")
    expect(s["Result"] == "success" and s["ExecMainCode"] == "1" and s["ExecMainStatus"] == "0",
           f"{unit}: Result={s['Result']} code={s['ExecMainCode']} status="
           f"{s['ExecMainStatus']} (1/0 is a clean exit 0)\n" + journal(d, unit))
    expect(took < int(timeout.rstrip("s")), f"{unit} took {took:.1f} s (TimeoutStopSec {timeout})")
    detail = f"exit 0 in {took:.1f} s (TimeoutStopSec {timeout})"
    if unit == "culturehouse-edge":
        card = d.wait(f"central records {HOUSE} as stopped", lambda: (lambda c: c if not
                      c["online"] and c["cause"] else None)(d.card()), 30)
        expect(card["cause"] == "stopped", f"central records {HOUSE} as {card['cause']!r}")
        detail += f"; central records {HOUSE} as stopped"
    return detail
