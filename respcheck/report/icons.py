"""The matrix page's status symbols as inline SVG: they draw the same on a
machine without an emoji font (where ✅ ❌ ⚠️ ⏭ are empty boxes) and keep the
page self-contained. Each is paired with a word, so the page also reads
without them (text browsers, screen readers)."""

from __future__ import annotations

_OPEN = '<svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">'
_STROKE = 'stroke="#fff" stroke-width="2" fill="none" stroke-linecap="round" stroke-linejoin="round"'

ICONS = {
    "pass": f'{_OPEN}<circle cx="8" cy="8" r="7.5" fill="#1a7f37"/><path d="M4.5 8.3l2.4 2.4 4.6-5" {_STROKE}/></svg>',
    "fail": f'{_OPEN}<circle cx="8" cy="8" r="7.5" fill="#cf222e"/><path d="M5.2 5.2l5.6 5.6M10.8 5.2l-5.6 5.6" '
            f'{_STROKE}/></svg>',
    "flaky": f'{_OPEN}<path d="M8 1L15.5 14.5H.5z" fill="#bf8700"/><path d="M8 5.5v4.5" {_STROKE}/>'
             '<circle cx="8" cy="12.3" r="1.1" fill="#fff"/></svg>',
    "skip": f'{_OPEN}<circle cx="8" cy="8" r="7.5" fill="#6e7781"/><path d="M4.8 5l3 3-3 3M8.6 5l3 3-3 3" '
            f'{_STROKE}/></svg>',
}

WORDS = {"pass": "passed", "fail": "failed", "flaky": "flaky", "skip": "skipped"}


def icon(status: str) -> str:
    """The symbol for a cell status (pass, fail, flaky, skip); empty for anything else."""
    return ICONS.get(status, "")
