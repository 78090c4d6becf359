#!/usr/bin/env python3
"""Set up and run Bridgenote from a checkout, with nothing but Python 3.11+ on the machine.

    python3 dev.py run     install into ./.venv, prepare ./data (demo on first run), serve :8000
    python3 dev.py test    install with the test tools, run the whole test suite
    python3 dev.py lint    ruff and mypy, as CI runs them

Everything goes into ./.venv and ./data; nothing is installed system-wide.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("BRIDGENOTE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)  # noqa: S603


def bootstrap_pip() -> None:
    """Debian's python3 may lack ensurepip (python3-venv); fetch pip's wheel from PyPI instead."""
    say("this Python has no ensurepip; fetching pip from PyPI")
    with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as response:
        release = json.load(response)
    wheel = next(u for u in release["urls"] if u["filename"].endswith(".whl"))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / wheel["filename"]
        with urllib.request.urlopen(wheel["url"], timeout=120) as response:  # noqa: S310
            data = response.read()
        if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
            sys.exit("pip download did not match its published checksum")
        target.write_bytes(data)
        run(PYTHON, target / "pip", "install", "--quiet", target)


def ensure_venv(extras: str) -> None:
    if not PYTHON.exists():
        say(f"creating {VENV}")
        try:
            subprocess.run(  # noqa: S603
                [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True
            )
        except subprocess.CalledProcessError:
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)  # noqa: S603
            bootstrap_pip()
    spec = f".[{extras}]" if extras else "."
    stamp = VENV / ".bridgenote-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    installed = stamp.read_text().split() if stamp.exists() else []
    if wanted in installed:
        return
    say(f"installing Bridgenote and its dependencies ({spec}) into {VENV}")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", spec)
    stamp.write_text(" ".join([*installed, wanted]))


def cmd_run() -> None:
    ensure_venv("")
    env = dict(os.environ)
    data = Path(env.setdefault("BRIDGENOTE_DATA_DIR", str(ROOT / "data")))
    data.mkdir(parents=True, exist_ok=True)
    if not env.get("BRIDGENOTE_SECRET_KEY") and not env.get("BRIDGENOTE_SECRET_KEY_FILE"):
        key_file = data / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        env["BRIDGENOTE_SECRET_KEY_FILE"] = str(key_file)
    run(BIN / "bridgenote", "init", env=env)
    os.execve(BIN / "bridgenote", [str(BIN / "bridgenote"), "serve", *sys.argv[2:]], env)  # noqa: S606


def cmd_test() -> None:
    ensure_venv("test")
    args = sys.argv[2:]
    if not any(a.startswith("-n") for a in args) and (os.cpu_count() or 1) > 1:
        args = ["-n", str(min(os.cpu_count() or 1, 4)), "--dist", "loadfile", *args]
    result = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)  # noqa: S603
    sys.exit(result.returncode)


def cmd_lint() -> None:
    ensure_venv("test")
    env = {
        **os.environ,
        "BRIDGENOTE_SECRET_KEY": "lint-only",
        "BRIDGENOTE_DATA_DIR": tempfile.mkdtemp(),
    }
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy", "bridgenote", env=env)


COMMANDS = {"run": cmd_run, "test": cmd_test, "lint": cmd_lint}

if __name__ == "__main__":
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("Bridgenote needs Python 3.11 or newer")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]]()
