"""Where each endpoint lives on a target: a profile's `paths:`.

Cases name *logical* paths (`/responses`, `/chat/completions`, `/models/{id}`,
`/directory/models`) and every check decides on those; only the request goes
to the target's own path. A gateway serving the Responses API at `/responses`
beside `/v1/chat/completions` is one base URL (its origin) and two paths.

Test assets are not an endpoint of the API: their path is taken from the
target's origin (the embedded gateway serves them at `/v1/assets/`, which is
what the default, the base URL's own path + `/assets`, gives for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Key of `paths:` -> the logical path cases use for that endpoint (and today's default).
LOGICAL = {
    "responses": "/responses",
    "chat_completions": "/chat/completions",
    "models": "/models",
    "directory": "/directory/models",
    "conversations": "/conversations",
}
KEYS = (*LOGICAL, "assets")
# Longest first: `/directory/models` must not be read as under `/models`.
_BY_LENGTH = sorted(LOGICAL.items(), key=lambda kv: -len(kv[1]))


@dataclass(frozen=True)
class Paths:
    """The endpoint paths of one target, relative to its base URL."""

    endpoints: dict[str, str] = field(default_factory=dict)  # key -> path, only where the profile says
    assets: str | None = None  # a path on the origin; None: the base URL's path + /assets

    def target(self, logical: str) -> str:
        """The path a request for `logical` goes to: `/models/x` -> `<models>/x`."""
        for key, prefix in _BY_LENGTH:
            if logical == prefix or logical.startswith(prefix + "/") or logical.startswith(prefix + "?"):
                return self.endpoints.get(key, prefix) + logical[len(prefix):]
        return logical

    def of(self, key: str) -> str:
        return self.endpoints.get(key, LOGICAL[key])

    def assets_root(self, base_url: str) -> str:
        """The URL test images are under: the origin and the assets path."""
        parts = urlsplit(base_url)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else base_url.rstrip("/")
        path = self.assets if self.assets is not None else parts.path.rstrip("/") + "/assets"
        return origin + path.rstrip("/")


DEFAULT = Paths()


def from_mapping(data: dict | None) -> Paths:
    data = dict(data or {})
    return Paths({k: data[k].rstrip("/") or "/" for k in LOGICAL if k in data}, data.get("assets"))


def paths_of(profile) -> Paths:
    """The profile's paths (inherited through `extends:` like every value), or the defaults."""
    if profile is None:
        return DEFAULT
    return from_mapping(getattr(profile, "paths", None))
