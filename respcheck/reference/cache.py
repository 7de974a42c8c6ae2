"""Prompt caching: a bounded in-memory record, per server, of the prompts already seen.

A prompt repeated with the same `prompt_cache_key` and model reports part of
its input tokens as cached, in blocks of 16, once it is at least 64 tokens long.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

MAX_ENTRIES = 1000
MIN_TOKENS = 64
BLOCK = 16


class PromptCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def visit(self, cache_key: str | None, model_id: str, prompt: list) -> bool:
        """Record the prompt; True when it had been seen before (the least recently seen go first)."""
        digest = hashlib.sha256(json.dumps([cache_key, model_id, prompt], ensure_ascii=False).encode()).hexdigest()
        with self._lock:
            hit = digest in self._seen
            self._seen[digest] = None
            self._seen.move_to_end(digest)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
        return hit


def cached_tokens(hit: bool, input_tokens: int, faults: frozenset[str]) -> int:
    if not hit or input_tokens < MIN_TOKENS or "cache_ignored" in faults:
        return 0
    if "cache_tokens_exceed" in faults:
        return input_tokens + 5
    return (input_tokens // BLOCK) * BLOCK
