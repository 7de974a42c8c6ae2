"""Values cases can use besides models and captures: a run id, test images,
a long prompt. All deterministic but the run id."""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache

from .paths import DEFAULT, Paths

RUN_ID = secrets.token_hex(4)  # one per process: keeps prompt-cache keys of two runs apart


@lru_cache(maxsize=1)
def long_prompt() -> str:
    """About 1,700 words: over the 1,024-token floor OpenAI-style prompt caching needs."""
    return " ".join(f"Note {n}: the ledger balances when every debit has a matching credit entry."
                    for n in range(1, 131))


@lru_cache(maxsize=4)
def png_data_url(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    from ..reference.assets import png  # the same generator the reference gateway serves from

    return "data:image/png;base64," + base64.b64encode(png(width, height, rgb)).decode("ascii")


def assets(base_url: str, overrides: dict[str, str], paths: Paths = DEFAULT) -> dict[str, str]:
    """Test images: URLs under the target's origin and its assets path (the
    embedded gateway serves them at /v1/assets/; a profile's `paths.assets`
    moves them, its `assets:` points each elsewhere) and data URLs."""
    root = paths.assets_root(base_url)
    values = {
        "red_png_url": f"{root}/red-8x8.png",
        "blue_png_url": f"{root}/blue-16x8.png",
        "red_png_data_url": png_data_url(8, 8, (255, 0, 0)),
    }
    values.update(overrides)
    return values
