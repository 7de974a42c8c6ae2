"""The openai npm SDK as a client verdict, driven by Node.

One long-lived `node` process runs node_driver.mjs; each view() sends it a
replay (a recorded answer) as one JSON line and reads back what the SDK made of
it. The SDK is installed with npm into a cache folder on first use, pinned to
PINNED_VERSION; later runs start offline from that folder.

Cache folder: the cache_dir argument, else $RESPCHECK_NODE_CACHE, else
node-openai-<PINNED_VERSION> under $RESPCHECK_CACHE, $XDG_CACHE_HOME/respcheck
or ~/.cache/respcheck.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import pathlib
import queue
import shutil
import subprocess
import tempfile
import threading

NAME = "openai-node"
# The newest release that runs on Node 20 (the 7.x line needs Node 22).
PINNED_VERSION = "6.49.0"
MIN_NODE_MAJOR = 20        # the SDK's README: Node.js 20 LTS or later
INSTALL_TIMEOUT = 600.0    # seconds for npm install; a cold cache on a slow link
START_TIMEOUT = 60.0       # seconds for node to load the SDK and say it is ready
DRIVER = pathlib.Path(__file__).with_name("node_driver.mjs")
HOOKS_ENV = "RESPCHECK_NODE_DRIVER_HOOKS"   # tests: lets a replay hang or end the driver

_install_lock = threading.Lock()
_install_failure: str | None = None   # once npm failed in this process, no view tries again
_node_checked: dict[str, str | None] = {}


def default_cache_dir() -> pathlib.Path:
    if os.environ.get("RESPCHECK_NODE_CACHE"):
        return pathlib.Path(os.environ["RESPCHECK_NODE_CACHE"])
    if os.environ.get("RESPCHECK_CACHE"):
        root = pathlib.Path(os.environ["RESPCHECK_CACHE"])
    else:
        root = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "respcheck"
    return root / f"node-openai-{PINNED_VERSION}"


def _package_json(cache_dir: pathlib.Path) -> pathlib.Path:
    return cache_dir / "node_modules" / "openai" / "package.json"


def installed_version(cache_dir: pathlib.Path) -> str | None:
    try:
        return json.loads(_package_json(cache_dir).read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def _node_problem(node: str) -> str | None:
    """Why this node cannot run the SDK, or None; asked once per process."""
    if node not in _node_checked:
        try:
            out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
            major = int(out.lstrip("v").split(".")[0])
            problem = None if major >= MIN_NODE_MAJOR else \
                f"node {out} is older than {MIN_NODE_MAJOR}, which openai-node {PINNED_VERSION} needs"
        except (OSError, ValueError, subprocess.SubprocessError):
            problem = f"{node} --version did not answer with a version"
        _node_checked[node] = problem
    return _node_checked[node]


def unavailable_reason() -> str | None:
    """None when the Node client can run (with the default cache); else one line why not."""
    if _install_failure:
        return _install_failure
    node = shutil.which("node")
    if not node:
        return "node not on PATH"
    problem = _node_problem(node)
    if problem:
        return problem
    cache_dir = default_cache_dir()
    if installed_version(cache_dir) is None and not shutil.which("npm"):
        return f"npm not on PATH and no openai-node install in {cache_dir}"
    return None


def _npm_argv(prefix: pathlib.Path) -> list[str]:
    npm = shutil.which("npm")
    if not npm:
        raise FileNotFoundError("npm not on PATH")
    return [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(prefix),
            f"openai@{PINNED_VERSION}"]


def _npm_error_line(output: str) -> str:
    """npm's own error lines, in one line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("npm error", "npm ERR!"))]
    picked = " / ".join((errors or lines[-3:])[:3]) or "no output"
    return picked[:400]


def _install(cache_dir: pathlib.Path) -> None:
    """npm install into a temporary sibling, then rename it into place: of two
    processes installing at once, the first rename wins and the other drops its copy."""
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}.", dir=cache_dir.parent))
    try:
        staging.chmod(0o755)   # mkdtemp's 0700 would keep the cache from other users of a shared folder
        # Its own package.json keeps npm from installing into a project further up.
        (staging / "package.json").write_text('{"private": true, "description": "respcheck: openai-node cache"}\n',
                                              encoding="utf-8")
        try:
            done = subprocess.run(_npm_argv(staging), cwd=staging, capture_output=True, text=True,
                                  timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"npm install failed: no result within {INSTALL_TIMEOUT:g} s") from None
        except OSError as exc:
            raise RuntimeError(f"npm install failed: {exc}") from None
        if done.returncode != 0:
            raise RuntimeError(f"npm install failed: {_npm_error_line(done.stderr + done.stdout)}")
        if installed_version(staging) != PINNED_VERSION:
            raise RuntimeError(f"npm install failed: no openai {PINNED_VERSION} in {staging / 'node_modules'}")
        try:
            os.rename(staging, cache_dir)          # also takes the place of an empty folder
        except OSError:
            if installed_version(cache_dir) is None:   # a folder of the user's: put only node_modules in it
                try:
                    os.rename(staging / "node_modules", cache_dir / "node_modules")
                except OSError:
                    pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if installed_version(cache_dir) is None:
        raise RuntimeError(f"npm install failed: {cache_dir} holds no openai package afterwards")


def ensure_installed(cache_dir: pathlib.Path) -> str:
    """The openai version in cache_dir, installing it first if the folder has none."""
    global _install_failure
    with _install_lock:
        version = installed_version(cache_dir)
        if version is None:
            if _install_failure:
                raise RuntimeError(f"{NAME}: {_install_failure}")
            try:
                _install(cache_dir)
            except RuntimeError as exc:
                _install_failure = str(exc)
                raise RuntimeError(f"{NAME}: {exc}") from None
            version = installed_version(cache_dir)
    if version != PINNED_VERSION:
        raise RuntimeError(f"{NAME}: {cache_dir} holds openai {version}, not the pinned {PINNED_VERSION}; "
                           "remove the folder to install the pinned one")
    return version


def _raised(kind: str, message: str) -> dict:
    return {"raised": {"type": kind, "message": message, "status": None, "api_error": False, "code": None},
            "values": {}}


class _Child:
    """One node process with a thread that reads its answers into a queue (so a
    wait can be bounded) and one that keeps the last lines of its stderr."""

    def __init__(self, cache_dir: pathlib.Path):
        node = shutil.which("node")
        if not node:
            raise RuntimeError(f"{NAME}: node not on PATH")
        self.proc = subprocess.Popen([node, str(DRIVER), str(cache_dir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cache_dir)
        self.answers: queue.Queue = queue.Queue()
        self.stderr: collections.deque = collections.deque(maxlen=20)
        threading.Thread(target=self._read_answers, name="openai-node-out", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, name="openai-node-err", daemon=True)
        self._stderr_reader.start()

    # Each reader closes its own pipe at the end, so no other thread closes it under it.
    def _read_answers(self) -> None:
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.answers.put(line)
        self.answers.put(None)   # the process has ended

    def _read_stderr(self) -> None:
        with self.proc.stderr:
            for line in self.proc.stderr:
                self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def exit_note(self) -> str:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_reader.join(timeout=10)   # its last lines usually say why
        tail = " | ".join(line for line in self.stderr if line)[-400:]
        return f"node driver exited (code {code})" + (f": {tail}" if tail else "")

    def send(self, line: bytes) -> None:
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        try:
            self.proc.stdin.close()    # the driver leaves at the end of its input
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class NodeViews:
    """Views of replays through the openai npm SDK; one node process, started
    (and the SDK installed) on the first view, restarted after a timeout."""

    def __init__(self, cache_dir: pathlib.Path | None = None, timeout: float = 30.0):
        self.cache_dir = pathlib.Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.timeout = timeout
        self.version = PINNED_VERSION    # confirmed from the loaded package.json at start
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._seq = 0

    def __enter__(self) -> NodeViews:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> _Child:
        ensure_installed(self.cache_dir)
        child = _Child(self.cache_dir)
        try:
            line = child.answers.get(timeout=max(self.timeout, START_TIMEOUT))
        except queue.Empty:
            line = None
        hello = None
        if line is not None:
            try:
                hello = json.loads(line)
            except ValueError:
                pass
        if not isinstance(hello, dict) or not hello.get("ready"):
            child.proc.kill()
            note = child.exit_note()
            child.stop()
            raise RuntimeError(f"{NAME}: the driver did not start: {note}")
        if hello.get("version") != PINNED_VERSION:
            child.stop()
            raise RuntimeError(f"{NAME}: node loaded openai {hello.get('version')}, not {PINNED_VERSION}")
        self.version = hello["version"]
        return child

    def _drop_child(self) -> None:
        if self._child is not None:
            self._child.proc.kill()
            self._child.stop()
            self._child = None

    def _exchange(self, line: bytes, seq: int | None) -> dict:
        """Send one line, wait for the answer carrying seq (bounded by timeout)."""
        if self._child is not None and self._child.proc.poll() is not None:
            self._drop_child()    # ended since the last view (killed from outside): start afresh
        if self._child is None:
            self._child = self._start()
        child = self._child
        try:
            child.send(line)
        except OSError:
            note = child.exit_note()
            self._drop_child()
            return _raised("DriverError", note)
        while True:
            try:
                answer = child.answers.get(timeout=self.timeout)
            except queue.Empty:
                self._drop_child()
                return _raised("Timeout", f"no answer from the node driver within {self.timeout:g} s "
                                          "(the driver was restarted)")
            if answer is None:
                note = child.exit_note()
                self._drop_child()
                return _raised("DriverError", note)
            try:
                view = json.loads(answer)
            except ValueError:
                continue   # not an answer line (the driver prints nothing else; stay robust)
            if isinstance(view, dict) and view.get("id") == seq:
                view.pop("id")
                return view

    def view(self, replay: dict) -> dict:
        with self._lock:
            self._seq += 1
            try:
                line = json.dumps({**replay, "id": self._seq}).encode("utf-8")
            except (TypeError, ValueError) as exc:
                return _raised("DriverError", f"the replay is not JSON: {exc}"[:500])
            return self._exchange(line, self._seq)

    def _view_raw(self, line: bytes) -> dict:
        """A line exactly as given (tests: a malformed replay); its answer carries no id."""
        with self._lock:
            return self._exchange(line, None)

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._child.stop()
                self._child = None


def replay_of(operation: str, request: dict | None, status: int, headers: dict[str, str], body: bytes) -> dict:
    """A replay dict from its parts (the body as raw bytes)."""
    return {"operation": operation, "request": request, "status": status,
            "headers": {name.lower(): value for name, value in headers.items()},
            "body_b64": base64.b64encode(body).decode("ascii")}
