"""`culturehouse-central add-house ID`: a house's broker password entry and ACL lines.

Writes the password with mosquitto_passwd (through stdin, never on the command line) and
keeps the ACL file's standard block (central's user, `%u` patterns for every house).
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import protocol

PASSWORD_FILE = "/etc/mosquitto/culturehouse.passwd"
ACL_FILE = "/etc/mosquitto/culturehouse.acl"
PASSWORD_ENV = "CULTUREHOUSE_NEW_PASSWORD"
MARKER = "# culturehouse ACL v1"


class AdminError(RuntimeError):
    """A broker file could not be written; the message says what to fix."""


def build_acl(root: str = protocol.DEFAULT_ROOT, central_user: str = "central") -> str:
    """The standard ACL: central reads and writes the whole tree; each house (user name =
    house id, `%u`) writes only under its own id and reads only its commands and ack."""
    return f"""{MARKER} (managed by culturehouse-central add-house; house blocks below)
user {central_user}
topic readwrite {root}/#

pattern write {root}/%u/status
pattern write {root}/%u/telemetry
pattern write {root}/%u/event
pattern write {root}/%u/history
pattern write {root}/%u/cmd_result
pattern read {root}/%u/cmd/#
pattern read {root}/%u/ack
pattern read {root}/central/status
"""


def house_block(house: str, root: str) -> str:
    # The patterns above already grant everything; the block names the house so the file
    # lists who may connect, and a house is removed by deleting its block and password.
    return f"\n# house {house}\nuser {house}\ntopic read {root}/central/status\n"


def ensure_acl(acl_file: Path, root: str, house: str | None = None) -> bool:
    """Write the standard block if missing and the house's block if new; True if changed."""
    text = acl_file.read_text() if acl_file.exists() else ""
    changed = False
    if MARKER not in text:
        text = build_acl(root) + text
        changed = True
    if house and f"\nuser {house}\n" not in text:
        text = text.rstrip("\n") + "\n" + house_block(house, root)
        changed = True
    if changed:
        tmp = acl_file.with_suffix(acl_file.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, acl_file)  # never a half-written ACL for the broker to read
    return changed


def set_password(password_file: Path, user: str, password: str) -> None:
    """Add or change `user` in a mosquitto password file (hashed by mosquitto_passwd)."""
    binary = shutil.which("mosquitto_passwd")
    if binary is None:
        raise AdminError("mosquitto_passwd not found: install the mosquitto package")
    argv = [binary] + ([] if password_file.exists() else ["-c"]) + [str(password_file), user]
    done = subprocess.run(argv, input=f"{password}\n{password}\n", text=True,
                          capture_output=True, timeout=30)
    if done.returncode != 0:
        raise AdminError(f"mosquitto_passwd failed: {done.stderr.strip() or done.stdout.strip()}")


def add_house(house: str, password_file: Path, acl_file: Path, root: str,
              password: str = "") -> str:
    """Credentials and ACL lines for one house; returns its password."""
    if not protocol.is_house_id(house) and house != "central":
        raise ValueError(f"{house!r} is not a house id ([a-z0-9-]{{1,32}}, not \"central\")")
    password = password or secrets.token_urlsafe(18)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    set_password(password_file, house, password)
    ensure_acl(acl_file, root, None if house == "central" else house)
    return password


def command(parser: argparse.ArgumentParser):
    parser.add_argument("house", help="house id (also its MQTT user name), or \"central\"")
    parser.add_argument("--password-file", default=PASSWORD_FILE)
    parser.add_argument("--acl-file", default=ACL_FILE)
    parser.add_argument("--topic-root", default=protocol.DEFAULT_ROOT)

    def run(args) -> int:
        password = os.environ.get(PASSWORD_ENV, "")
        try:
            password = add_house(args.house, Path(args.password_file), Path(args.acl_file),
                                 args.topic_root, password)
        except ValueError as exc:
            print(f"add-house: {exc}", file=sys.stderr)
            return 2
        except (AdminError, OSError, subprocess.SubprocessError) as exc:
            print(f"add-house: {exc}", file=sys.stderr)
            return 1
        print(f"# {args.house}: put this line in /etc/culturehouse/edge.env on its Pi")
        print(f"CULTUREHOUSE_MQTT_PASSWORD={password}")
        print("# then reload the broker: systemctl reload mosquitto", file=sys.stderr)
        return 0

    return run
