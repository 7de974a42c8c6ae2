"""The transcript of a case: every request and answer (or SSE event, with its
arrival time and byte offset), the broken rules, and the curl line — secrets
masked. Written for failed cases under <report-dir>/transcripts/."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..runner import CaseRun
from .curl import curl_command
from .secrets import Masker


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@=\-\[\]]+", "_", name)[:180]


def _body_text(raw: bytes | None, limit: int = 200_000) -> str:
    if not raw:
        return "(empty)"
    text = raw.decode("utf-8", "replace")
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(raw)} bytes in all)"


def render_transcript(run: CaseRun, masker: Masker) -> str:
    case = run.case
    out = [f"# {case.name}: {case.title}", f"# {case.file}:{case.line}", ""]
    for step_run in run.steps:
        ex = step_run.exchange
        if ex is None:
            continue
        out.append(f"## step {step_run.step.name}")
        out.append(f"> {ex.method} {ex.url}")
        out += [f"> {k}: {v}" for k, v in masker.headers(ex.request_headers).items()]
        out += [">", _body_text(ex.request_body), ""]
        if ex.status is None:
            out += [f"< no answer ({ex.error})", ""]
            continue
        out.append(f"< HTTP {ex.status} in {ex.elapsed * 1000:.0f} ms")
        out += [f"< {k}: {v}" for k, v in ex.response_headers.items()]
        out.append("<")
        if ex.streamed and step_run.stream is not None:
            for frame in step_run.stream.frames:
                out.append(f"[#{frame.index} +{frame.t * 1000:.1f}ms @{frame.offset}]")
                out.append(frame.raw().rstrip("\n"))
            end = ex.stream_end
            if end is not None and end.reason != "eof":
                out.append(f"[stream ended: {end.reason}: {end.message}]")
        else:
            out.append(_body_text(ex.body))
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
    return masker.text("\n".join(out))


def write_transcript(directory: Path, run: CaseRun, masker: Masker) -> Path:
    folder = directory / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(run.case.name)}.txt"
    path.write_text(render_transcript(run, masker), encoding="utf-8")
    return path
