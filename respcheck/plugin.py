"""The pytest plugin: YAML case files become items, the profile decides what
runs, the target is started once per session, cases run ahead of pytest on
the scheduler, failures read like a report.

Public pytest API only (the "non-python tests" pattern); the items live in
`items`, the run of one case in `runner`.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from typing import TYPE_CHECKING

from .execution.items import BrokenCaseItem, CaseFile, CaseItem
from .options import RunSettings, UsageError, add_options, resolve
from .report.session import RunReport
from .execution.scheduler import CaseScheduler

# The target (httpx, the embedded gateway) is imported when cases are about
# to run, not for `pytest tests` or `--collect-only`.
if TYPE_CHECKING:
    from .exchange.target import TargetSession

SESSION = pytest.StashKey["TargetSession"]()
SETTINGS = pytest.StashKey[RunSettings]()
SEEN_IDS = pytest.StashKey[dict]()
REPORT = pytest.StashKey[RunReport]()
SCHEDULER = pytest.StashKey[CaseScheduler]()
ANNOUNCED = pytest.StashKey[bool]()
ITEMS = pytest.StashKey[list]()  # the collected items, in order: what the scheduler runs ahead
PYTEST_SESSION = pytest.StashKey[pytest.Session]()
BROKEN = pytest.StashKey[list]()  # with --collect-only: case files that cannot be used
JUDGE = pytest.StashKey[object]()  # the client verdicts' clients (--clients), or None

# Without --concurrency: the embedded gateway takes a few cases at once; a
# remote target gets one at a time unless its profile says more.
EMBEDDED_CONCURRENCY = 4


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "respcheck: a respcheck conformance case")
    config.stash[SEEN_IDS] = {}
    report = RunReport(config.option.report_dir, config.option.baseline, config.option.fail_on)
    config.stash[REPORT] = report
    config.pluginmanager.register(report, "respcheck-report")
    if "respcheck.exchange.transport" in sys.modules:  # a run in this interpreter may have aborted it
        sys.modules["respcheck.exchange.transport"].reset_abort()
    _terminate_as_interrupt()


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled) ends the run the way Ctrl-C does, so the
    reports of what ran are still written."""
    if os.name != "posix" or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    try:
        signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread (pytest run from a thread): leave it
        pass


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt("SIGTERM")


def _settings(config: pytest.Config) -> RunSettings:
    """Resolved on first need, so `pytest tests` never reads a profile."""
    if SETTINGS not in config.stash:
        try:
            config.stash[SETTINGS] = resolve(config)
        except UsageError as exc:
            raise pytest.UsageError(f"respcheck: {exc}") from None
    return config.stash[SETTINGS]


def _is_case_file(file_path: Path, root: Path) -> bool:
    if file_path.suffix not in (".yaml", ".yml"):
        return False
    try:
        parts = file_path.relative_to(root).parts
    except ValueError:
        parts = file_path.parts
    return "cases" in parts[:-1]


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if _is_case_file(file_path, parent.config.rootpath):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _has_cases(items) -> bool:
    return any(isinstance(item, CaseItem) for item in items)


def target_session(config: pytest.Config) -> "TargetSession":
    from .exchange.target import TargetSession

    if SESSION not in config.stash:
        config.stash[SESSION] = TargetSession(_settings(config))
    return config.stash[SESSION]


def concurrency(config: pytest.Config) -> int:
    """--concurrency, else $RESPCHECK_CONCURRENCY, else the profile's, else
    a default by target (a remote one is not flooded unasked)."""
    settings = _settings(config)
    if settings.concurrency:
        return settings.concurrency
    env = os.environ.get("RESPCHECK_CONCURRENCY", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise pytest.UsageError(f"respcheck: RESPCHECK_CONCURRENCY must be a positive whole number, got {env!r}")
        return int(env)
    from_profile = settings.profile.settings.get("concurrency")
    if from_profile:
        return int(from_profile)
    return EMBEDDED_CONCURRENCY if settings.base_url is None and not settings.replay_dir else 1


def client_judge(config: pytest.Config):
    """The run's ClientJudge, or None with --clients none (or none installed)."""
    if JUDGE not in config.stash:
        names = _settings(config).clients
        if names:
            from .clients.judge import ClientJudge

            config.stash[JUDGE] = ClientJudge(names)
        else:
            config.stash[JUDGE] = None
    return config.stash[JUDGE]


def _import_run_modules(config: pytest.Config | None = None) -> None:
    """What a case imports lazily is imported here, on pytest's thread, before
    the scheduler's threads start: imports on two threads at once can meet in
    pytest's assertion rewriter, whose ast.parse CPython 3.11 does not allow
    on two threads at a time."""
    from .execution import onboarding, runner  # noqa: F401
    from .report import allure, text, transcript  # noqa: F401
    from .stream import checker, chat  # noqa: F401
    if config is not None and client_judge(config) is not None:
        # The Python SDKs themselves load in the helper process (clients/helper.py), not here.
        from .clients import helper, judge, reading, replay, verdict  # noqa: F401


def scheduler(config: pytest.Config) -> CaseScheduler:
    if SCHEDULER not in config.stash:
        session = config.stash[PYTEST_SESSION]
        items = [item for item in config.stash.get(ITEMS, []) if isinstance(item, CaseItem)]
        target_session(config).start()  # before any thread: one client, one embedded gateway
        _import_run_modules(config)
        config.stash[SCHEDULER] = CaseScheduler(
            items, concurrency(config), runnable=lambda item: item.plan().skip is None,
            job=lambda item: item.execute(),
            should_stop=lambda: bool(session.shouldstop or session.shouldfail))  # -x, --maxfail
    return config.stash[SCHEDULER]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not config.option.discover or not _has_cases(items):
        return
    from .execution.onboarding import discover_items

    try:
        items[:] = discover_items(items, target_session(config), config.option.discover_models, CaseItem)
    except UsageError as exc:
        raise pytest.UsageError(f"respcheck: {exc}") from None


def _clear_previous_run(config: pytest.Config) -> None:
    """An earlier run's transcripts or recording would pass for this one's
    (once, on the controller; only when cases are about to run)."""
    if hasattr(config, "workerinput"):
        return
    config.stash[REPORT].clear_transcripts()
    if config.option.record:
        from .recording import clear_recording

        clear_recording(Path(config.option.record))


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None) not in (None, 0)


def _selects_cases(config: pytest.Config) -> bool:
    """Whether the command line points at case files (the controller of an
    xdist run collects nothing, so it looks at the arguments)."""
    root = config.rootpath
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        if path.is_file() and _is_case_file(path.resolve(), root):
            return True
        if path.is_dir() and (path.name == "cases" or "cases" in path.resolve().parts
                              or (path / "cases").is_dir()):
            return True
    return False


@pytest.hookimpl(optionalhook=True, trylast=True)  # optional: xdist is not needed to run the suite
def pytest_xdist_setupnodes(config, specs) -> None:
    _clear_previous_run(config)  # the controller of an xdist run collects nothing itself


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under -n the workers' output is not shown: the controller announces
    the target and checks it answers, once, before any worker starts."""
    config = session.config
    config.stash[PYTEST_SESSION] = session
    if not _is_xdist_controller(config) and not config.option.collectonly and _selects_cases(config):
        client_judge(config)  # the clients' helper loads the SDKs while the cases are collected
    if not _is_xdist_controller(config) or not _selects_cases(config):
        return
    from .exchange.target import Unreachable

    settings = _settings(config)
    if settings.base_url is None or settings.replay_dir:
        where = settings.replay_dir and f"a replay of {settings.replay_dir}"
        _announce(config, settings, where or "(one per worker)")
        return
    target = target_session(config)
    try:
        client = target.start()
        _announce(config, settings, target.masker.text(client.target.base_url))
        target.probe()
    except UsageError as exc:
        raise pytest.UsageError(f"respcheck: {exc}") from None
    except Unreachable as exc:
        _unreachable(config, exc)
    finally:
        target.close()


def _unreachable(config: pytest.Config, exc: Exception) -> None:
    pytest.exit(f"respcheck: {exc}", returncode=pytest.ExitCode.INTERRUPTED)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.option.collectonly:
        config.stash[BROKEN] = [item for item in session.items if isinstance(item, BrokenCaseItem)]
        return
    if not _has_cases(session.items):
        return
    from .exchange.target import Unreachable

    config.stash[ITEMS] = list(session.items)
    if getattr(config.option, "numprocesses", None) in (None, 0):
        _clear_previous_run(config)
    target = target_session(config)
    worker = hasattr(config, "workerinput")
    client_judge(config)  # the clients' helper process starts loading the SDKs now, beside the run
    try:
        client = target.start()
        if not worker:
            _announce(config, target.settings, target.masker.text(client.target.base_url))
        target.probe()
    except UsageError as exc:
        target.close()
        raise pytest.UsageError(f"respcheck: {exc}") from None
    except Unreachable as exc:
        if worker:  # the controller probed already; the cases fail fast with the reason instead of a crash
            target.breaker.reason = f"not sent: {exc}"
            return
        target.close()
        _unreachable(config, exc)


def _announce(config: pytest.Config, settings: RunSettings, base_url: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or config.stash.get(ANNOUNCED, False):
        return
    config.stash[ANNOUNCED] = True
    where = "embedded reference gateway at " if settings.base_url is None else ""
    if settings.replay_dir:
        where = f"a replay of {settings.replay_dir} (offline), as "
    faults = f", faults: {', '.join(settings.faults)}" if settings.faults else ""
    reporter.write_line(f"respcheck: profile {settings.profile.name}, target {where}{base_url}{faults}, "
                        f"concurrency {concurrency(config)}")
    clients = ", ".join(settings.clients) or "none"
    reporter.write_line(f"respcheck: client verdicts: {clients}")
    for line in settings.clients_not_run:
        reporter.write_line(f"respcheck: {line}")
    if not settings.api_key:
        env = f", or ${settings.profile.api_key_env}" if settings.profile.api_key_env else ""
        reporter.write_line(f"respcheck: no API key given (--api-key, $RESPCHECK_API_KEY{env}); requests go "
                            "without Authorization, so an authenticating gateway will answer 401", yellow=True)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if SCHEDULER in config.stash:
        config.stash[SCHEDULER].cancel()  # -x, Ctrl-C, SIGTERM: what has not started never will
    if exitstatus == pytest.ExitCode.INTERRUPTED and "respcheck.exchange.transport" in sys.modules:
        sys.modules["respcheck.exchange.transport"].abort_all()  # and what is in flight ends now, not at its timeout
    if config.stash.get(BROKEN, None):
        _fail_collect_only(session, config.stash[BROKEN])
    report = config.stash.get(REPORT, None)
    if report is None or not report.has_cases or hasattr(config, "workerinput"):
        return
    settings = _settings(config)
    target = config.stash[SESSION] if SESSION in config.stash else None
    where = settings.base_url or "embedded reference gateway"
    report.finish(settings.profile.name, target.masker.text(where) if target else where)
    session.exitstatus = report.exit_status(session.exitstatus)


def _fail_collect_only(session: pytest.Session, broken: list) -> None:
    """`--collect-only` as a lint in CI: a case file that cannot be used fails it."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for item in broken:
            reporter.write_line(f"respcheck: {item.error.render()}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    report = config.stash.get(REPORT, None)
    if report is None or not report.has_cases or hasattr(config, "workerinput"):
        return
    report.summary(terminalreporter, _settings(config).profile.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(JUDGE, None) is not None:
        config.stash[JUDGE].close()
    if SESSION in config.stash:
        config.stash[SESSION].close()
