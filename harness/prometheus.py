"""A private Prometheus (Debian's `prometheus`) on 127.0.0.1: its own config, data directory
and port, a short scrape interval, stopped by its pid; and its HTTP query API."""
from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .procs import LOOPBACK, Proc, free_port, wait_for


@dataclass(frozen=True)
class ScrapeJob:
    """One scrape job: `targets` (host:port) with Basic auth when `username` is set, as the
    shipped config/prometheus/prometheus.yml scrapes central."""

    name: str
    targets: tuple[str, ...]
    username: str = ""
    password: str = ""


class PrometheusServer:
    """Scrapes its jobs every `interval` and evaluates `rule_files`."""

    def __init__(self, workdir: Path, jobs: list[ScrapeJob], rule_files: tuple[Path, ...] = (),
                 interval: str = "1s"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.jobs, self.interval, self.rule_files = jobs, interval, rule_files
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def config(self) -> dict:
        scrapes = []
        for job in self.jobs:
            scrape = {"job_name": job.name, "static_configs": [{"targets": list(job.targets)}]}
            if job.username:
                secret = self.workdir / f"{job.name}.password"
                secret.write_text(job.password)
                secret.chmod(0o600)
                scrape["basic_auth"] = {"username": job.username, "password_file": str(secret)}
            scrapes.append(scrape)
        return {"global": {"scrape_interval": self.interval, "scrape_timeout": self.interval,
                           "evaluation_interval": self.interval},
                "rule_files": [str(p) for p in self.rule_files],
                "scrape_configs": scrapes}

    def start(self) -> "PrometheusServer":
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        conf = self.workdir / "prometheus.yml"
        conf.write_text(json.dumps(self.config(), indent=1))  # JSON is YAML too
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        self.proc = Proc([binary, f"--config.file={conf}", f"--storage.tsdb.path={data}",
                          f"--web.listen-address={LOOPBACK}:{self.port}",
                          "--storage.tsdb.retention.time=1d", "--log.level=warn"],
                         self.workdir / "prometheus.log", cwd=self.workdir)
        wait_for(self._ready, 30, 0.2, "prometheus ready")
        return self

    def _ready(self) -> bool:
        if self.proc and not self.proc.alive():
            raise RuntimeError(f"prometheus exited: {self.proc.output()[-2000:]}")
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/<path>; its `data` (raises on an error answer)."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            answer = json.load(resp)
        if answer.get("status") != "success":
            raise RuntimeError(f"prometheus answered {answer}")
        return answer["data"]

    def query(self, expr: str) -> list[dict]:
        """An instant query's vector: [{"metric": {labels}, "value": [ts, "text"]}, …]."""
        return self.api("query", query=expr)["result"]

    def wait_for_series(self, expr: str, timeout: float = 30.0) -> list[dict]:
        return wait_for(lambda: self.query(expr), timeout, 0.5, f"prometheus has {expr}")

    def stop(self) -> None:
        if self.proc:
            self.proc.stop(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
