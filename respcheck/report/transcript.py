"""The transcript of a case: every request and answer (or SSE event, with its
arrival time and byte offset), the broken rules, and the curl line — secrets
masked. Written for failed cases under <report-dir>/transcripts/."""

from __future__ import annotations

import re
from pathlib import Path

from ..execution.runner import CaseRun
from .curl import curl_command
from .excerpt import (BODY_HEAD, BODY_TAIL, FRAME_DATA, FRAMES_HEAD, FRAMES_TAIL, body_text, frame_data, frame_view,
                      omitted_marker)
from .printable import printable
from .secrets import Masker


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@=\-\[\]]+", "_", name)[:180]


def _frame_text(frame, masker: Masker) -> str:
    """The event as SSE text, its data clipped (see excerpt.FRAME_DATA)."""
    event = getattr(frame, "event", None)
    head = f"event: {event}\n" if event is not None else ""
    return head + "".join(f"data: {line}\n" for line in frame_data(frame, mask=masker.text).split("\n"))


def _stream_lines(frames, masker: Masker) -> tuple[list[str], int]:
    """The transcript lines of a stream, and how many events they leave out."""
    lines, left_out = [], 0
    for item in frame_view(frames):
        if isinstance(item, int):
            left_out += item
            lines.append(f"[{omitted_marker(item, 'events')}]")
            continue
        lines.append(f"[#{item.index} +{item.t * 1000:.1f}ms @{item.offset}]")
        lines.append(_frame_text(item, masker).rstrip("\n"))
    return lines, left_out


def render_transcript(run: CaseRun, masker: Masker) -> str:
    case = run.case
    out = [f"# {case.name}: {case.title}", f"# {case.file}:{case.line}", ""]
    capped = False
    for step_run in run.steps:
        ex = step_run.exchange
        if ex is None:
            continue
        out.append(f"## step {step_run.step.name}")
        out.append(f"> {ex.method} {ex.url}")
        out += [f"> {k}: {v}" for k, v in masker.headers(ex.request_headers).items()]
        # Masked before it is cut, so that a cut cannot leave half a key.
        out += [">", body_text(masker.data(ex.request_body or b"")), ""]
        if ex.status is None:
            out += [f"< no answer ({ex.error})", ""]
            continue
        out.append(f"< HTTP {ex.status} in {ex.elapsed * 1000:.0f} ms")
        out += [f"< {k}: {v}" for k, v in ex.response_headers.items()]
        out.append("<")
        stream = step_run.stream
        if ex.streamed and stream is not None:
            frames = getattr(stream, "frames", None) or []
            lines, left_out = _stream_lines(frames, masker)
            out += lines
            capped = capped or bool(left_out) or any(len(str(getattr(f, "data", ""))) > FRAME_DATA
                                                     or getattr(f, "clipped", 0) for f in frames)
            end = ex.stream_end
            if end is not None and end.reason != "eof":
                out.append(f"[stream ended: {end.reason}: {end.message}]")
        else:
            body = ex.body or b""
            capped = capped or len(body) > BODY_HEAD + BODY_TAIL
            out.append(body_text(masker.data(body)))
        if ex.error:
            out.append(f"[transport: {ex.error}]")
        out.append("")
    if run.failures:
        out.append("## broken rules")
        out += [f"- {f.render()}" for f in run.failures]
        out.append("")
    last = next((s.exchange for s in reversed(run.steps) if s.exchange is not None), None)
    if last is not None:
        out += ["## reproduce", curl_command(last, masker, stream=last.streamed), ""]
    if capped:
        out.insert(2, f"# capped: each body shows its first {BODY_HEAD // 1024} KiB and last {BODY_TAIL // 1024} KiB, "
                      f"each stream its first {FRAMES_HEAD} and last {FRAMES_TAIL} events (each event's data up to "
                      f"{FRAME_DATA} characters); what is left out is marked where it was")
    return printable(masker.text("\n".join(out)))


def write_transcript(directory: Path, run: CaseRun, masker: Masker) -> Path:
    folder = directory / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(run.case.name)}.txt"
    path.write_text(render_transcript(run, masker), encoding="utf-8")
    return path
