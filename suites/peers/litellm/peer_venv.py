"""The cache virtualenv a peer gateway is installed into, once per pinned version.

The folder is named after the requirements' content (`litellm-1.108.7-<hash>`),
so a new pin gets a fresh virtualenv and an old one is never half-upgraded. A
`.complete` marker is written last: an install that was interrupted is redone.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

INSTALL_TIMEOUT = 900  # seconds; a cold pip cache on a slow mirror, never an endless hang
MARKER = ".complete"


class InstallError(Exception):
    pass


def venv_dir(cache: Path, requirements: Path) -> Path:
    text = requirements.read_text(encoding="utf-8")
    pin = re.search(r"^litellm(?:\[[^\]]*\])?==([\w.]+)", text, re.MULTILINE)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return cache / f"litellm-{pin.group(1) if pin else 'unpinned'}-{digest}"


def ensure_venv(cache: Path, requirements: Path) -> Path:
    """The virtualenv with the requirements installed; made on first use."""
    target = venv_dir(cache, requirements)
    if (target / MARKER).is_file() and (target / "bin" / "litellm").is_file():
        return target
    if target.exists():
        shutil.rmtree(target)  # an interrupted install: start clean
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"litellm peer: installing {requirements.name} into {target} (first use)", flush=True)
    venv.EnvBuilder(with_pip=True).create(target)
    command = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "-r", str(requirements)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        shutil.rmtree(target, ignore_errors=True)
        raise InstallError(f"pip install -r {requirements} took over {INSTALL_TIMEOUT} s") from None
    if done.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        lines = [line for line in (done.stderr or done.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING: Location")]
        raise InstallError(f"pip install -r {requirements} exited {done.returncode}: "
                           + (" | ".join(lines[-3:]) or "no output"))
    (target / MARKER).write_text(sys.version + "\n", encoding="utf-8")
    return target
