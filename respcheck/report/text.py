"""The failure text pytest prints for a case: what broke, where, how to repeat it."""

from __future__ import annotations

from ..model.case import display_path
from ..execution.runner import CaseRun
from .curl import curl_command
from .excerpt import frame_summary, received_count
from .printable import one_line, printable
from .secrets import Masker


def _excerpt(body: bytes, masker: Masker, limit: int = 600) -> str:
    # Masked before it is cut (a cut cannot leave half a key); a key straddling
    # limit * 4 bytes is beyond what is shown either way.
    text = masker.data(body[:limit * 4]).decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + f"… ({len(body)} bytes)"


def _event_table(frames: list, masker: Masker, limit: int = 8) -> list[str]:
    """The stream's last events: index, arrival, byte offset, event line, data (one line each)."""
    frames = list(frames or ())
    total = received_count(frames)
    rows = [f"Stream events ({total} received{'; the last ' + str(limit) if total > limit else ''}):"]
    for frame in frames[-limit:]:
        data = frame_summary(frame, 110, mask=masker.text)
        rows.append(f"  #{frame.index:<5} {frame.t * 1000:>7.0f} ms  @{frame.offset:<8} "
                    f"{one_line(str(frame.event or '(no event line)'))}  {data}")
    return rows


def render_failure(run: CaseRun, masker: Masker, verbose: bool = False, known: dict | None = None) -> str:
    """`known`: index into run.failures -> the profile's known deviation covering that failure."""
    known = known or {}
    case = run.case
    lines = [f"{case.name}: {case.title}  ({display_path(case.file)}:{case.line})"]
    for step_run in run.steps:
        ex = step_run.exchange
        if ex is None:
            continue
        answer = f"HTTP {ex.status}" if ex.status is not None else "no answer"
        label = f"step {step_run.step.name}: " if len(case.steps) > 1 else ""
        lines.append(f"{label}{ex.method} {masker.text(ex.url)} -> {answer} in {ex.elapsed * 1000:.0f} ms")
        if step_run.rejected:
            lines.append(f"  (expecting the profile's rejection: {step_run.rejected.reason})")
    for index, failure in enumerate(run.failures):
        lines.append(f"  ✗ {masker.text(failure.render())}")
        if index in known:
            lines.append(f"      {known[index].label()}")
        if failure.source:
            lines.append(f"      expected at {failure.source} (the profile's override)")
        elif failure.line:
            lines.append(f"      expected at {display_path(case.file)}:{failure.line}")
    if run.note:
        lines.append(f"  ({run.note})")
    last = next((s.exchange for s in reversed(run.steps) if s.exchange is not None), None)
    if last is not None:
        if last.streamed:
            lines += _event_table(_frames_of(run), masker)
        elif last.status is not None and (verbose or any(f.rule not in ("transport",) for f in run.failures)):
            lines.append("Response body:")
            lines.append("  " + _excerpt(last.body, masker).replace("\n", "\n  "))
        lines.append("Reproduce with:")
        lines.append("  " + curl_command(last, masker, stream=last.streamed or _asked_stream(last)))
    # The gateway's bytes reach the terminal only as escapes: no title change, clear screen or clipboard write.
    return printable(masker.text("\n".join(lines)))


def _frames_of(run: CaseRun) -> list:
    last = next((s for s in reversed(run.steps) if s.exchange is not None), None)
    return (getattr(last.stream, "frames", None) or []) if last is not None and last.stream is not None else []


def _asked_stream(exchange) -> bool:
    body = exchange.request_json
    return isinstance(body, dict) and body.get("stream") is True
