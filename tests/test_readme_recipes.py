"""The README's recipes, run as written.

The GitHub Actions recipe is taken out of README.md itself (its `pip
install` and its `pytest` command), run in a fresh virtualenv, with only the
target swapped for a local `respcheck serve` (no real gateway here). The
shell one-liners of "The embedded reference gateway" run too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.recipe  # slow (a fresh virtualenv): `-m "not recipe"` leaves them out


def ci_recipe() -> tuple[str, str]:
    """The recipe's install command and its pytest command (folded YAML joined)."""
    block = README.split("### In CI (GitHub Actions)", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    install = re.search(r"- run: (pip install[^\n]*)", block).group(1)
    folded = block.split("run: >", 1)[1].split("- name:", 1)[0]
    command = " ".join(line.strip() for line in folded.strip().splitlines())
    return install, command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(python: Path, port: int, *args: str) -> subprocess.Popen:
    process = subprocess.Popen([str(python), "-m", "respcheck", "serve", "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2, trust_env=False)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                raise AssertionError(f"respcheck serve ended: {process.stdout.read()}")
            time.sleep(0.2)
    process.kill()
    raise AssertionError("respcheck serve did not come up within 60 s")


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory) -> Path:
    """A virtualenv with the project installed the way the CI recipe installs it."""
    install, _ = ci_recipe()
    assert install == "pip install -e .", install  # the test below runs exactly this
    home = tmp_path_factory.mktemp("recipe-venv")
    venv.create(home, with_pip=True)
    python = home / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", "."], cwd=REPO, check=True,
                   timeout=600)
    return python


def test_the_ci_recipe_runs_as_written(fresh_python, tmp_path):
    _, command = ci_recipe()
    assert "-n 4" in command and "--concurrency 4" in command
    # The recipe's shell bits: no baseline on a first run.
    command = re.sub(r"\$\( \[ -f baseline/results.json \].*?\)", "", command).split()
    assert command[0] == "pytest"
    shutil.copytree(REPO / "cases", tmp_path / "cases")  # the checkout's cases, run from its root
    port = free_port()
    server = serve(fresh_python, port, "--api-key", "rc-recipe-key")
    try:
        args = [a for a in command[1:]]
        args[args.index("--base-url") + 1] = f"http://127.0.0.1:{port}/v1"
        args[args.index("--profile") + 1] = str(REPO / "suites" / "profiles" / "reference.yaml")
        env = {**os.environ, "RESPCHECK_API_KEY": "rc-recipe-key"}
        env.pop("RESPCHECK_CLIENTS", None)  # as a user runs it: client verdicts on (tests/conftest.py turns them off)
        result = subprocess.run([str(fresh_python), "-m", "pytest", *args, "-p", "no:cacheprovider"], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=600)
    finally:
        server.terminate()
        server.wait(30)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert re.search(r"\d+ passed", out), out[-2000:]
    assert (tmp_path / "reports" / "junit.xml").is_file()
    assert json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))["counts"]["failed"] == 0


def test_the_cli_one_liners_run(fresh_python):
    respcheck = fresh_python.parent / "respcheck"
    for line in ("respcheck faults | head -3", "respcheck rules | head -3"):
        result = subprocess.run(line.replace("respcheck", str(respcheck), 1), shell=True, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert len(result.stdout.splitlines()) == 3
    assert "respcheck serve --port 8765" in README and "respcheck faults" in README


def test_the_suite_runs_against_respcheck_serve_as_the_readme_says(fresh_python, tmp_path):
    """`respcheck serve` answers on /v1 with the key rc-local-key (README: The embedded reference gateway)."""
    assert "http://127.0.0.1:8765/v1, key rc-local-key" in README
    port = free_port()
    server = serve(fresh_python, port)
    try:
        result = subprocess.run(
            [str(fresh_python), "-m", "pytest", str(REPO / "cases"), "-q", "-p", "no:cacheprovider", "--rootdir",
             str(REPO), "--base-url", f"http://127.0.0.1:{port}/v1", "--profile", "reference", "--api-key",
             "rc-local-key", "--report-dir", str(tmp_path / "r"), "-m", "smoke"],
            capture_output=True, text=True, timeout=300)
    finally:
        server.terminate()
        server.wait(30)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert sys.version_info >= (3, 10)
