"""The target of a run: a given base URL, or the embedded reference gateway
started for the session; and the early check that it answers at all."""

from __future__ import annotations

import httpx

from .breaker import TargetBreaker
from .client import Client, SentHeaders, Target
from ..recording import wrap_client_transport
from .transport import bounded_transport, total_deadline
from ..model.paths import paths_of
from ..options import RunSettings, UsageError
from ..report.secrets import Masker, secret_header_values


class Unreachable(Exception):
    pass


# Past this a stream is not handed to the clients (their verdict: not judged):
# a few MiB holds every stream of the suite many times over.
KEPT_STREAM_BYTES = 4 * 1024 * 1024


class TargetSession:
    """Owns the client (and the embedded server, if any) for one pytest session."""

    def __init__(self, settings: RunSettings):
        self.settings = settings
        self.server = None
        self.client: Client | None = None
        secrets = [settings.api_key or ""] + secret_header_values(settings.headers)
        self.masker = Masker(secrets, show=settings.show_secrets)
        self.breaker = TargetBreaker(getattr(settings, "max_transport_failures", 3))

    @property
    def embedded(self) -> bool:
        return self.settings.base_url is None

    def start(self) -> Client:
        if self.client is not None:
            return self.client
        base_url = self.settings.base_url
        if self.replaying:
            base_url = base_url or "http://replay.invalid/v1"  # host and port do not matter to a replay
        elif base_url is None:
            from ..reference import ReferenceServer
            from ..reference.faults import validate_faults

            try:
                faults = validate_faults(self.settings.faults)
            except ValueError as exc:
                raise UsageError(f"--reference-fault: {exc}") from None
            embedded = getattr(getattr(self.settings, "profile", None), "embedded", None) or {}
            self.server = ReferenceServer(api_keys=[self.settings.api_key], faults=faults,
                                          stateful=bool(embedded.get("stateful")))
            self.server.start()
            base_url = self.server.base_url
        target = Target(base_url=base_url, api_key=self.settings.api_key, headers=SentHeaders(self.settings.headers),
                        timeout=self.settings.timeout, max_body_bytes=self.settings.max_body_bytes,
                        embedded=self.embedded, stream_idle_timeout=self.settings.stream_idle_timeout,
                        stream_timeout=self.settings.stream_timeout,
                        max_stream_events=self.settings.max_stream_events, rate_limit=self.settings.rate_limit,
                        max_stream_bytes=getattr(self.settings, "max_stream_bytes", 64 * 1024 * 1024),
                        retry_after_budget=self.settings.retry_after_budget,
                        concurrency=self.settings.concurrency,
                        keep_stream_bytes=KEPT_STREAM_BYTES if getattr(self.settings, "clients", ()) else 0)
        secrets = [self.settings.api_key or ""] + secret_header_values(self.settings.headers)
        transport = wrap_client_transport(bounded_transport(), record_dir=self.settings.record_dir,
                                          replay_dir=self.settings.replay_dir, secrets=secrets)
        self.client = Client(target, transport=transport)
        return self.client

    @property
    def replaying(self) -> bool:
        return bool(self.settings.replay_dir)

    def probe(self) -> None:
        """Any HTTP answer (even 401 or 404) means the target is there."""
        client = self.start()
        if self.replaying:
            return  # offline: the recording is the target
        url = client.target.url(paths_of(getattr(self.settings, "profile", None)).target("/models"))
        timeout = min(client.target.timeout, 10.0)
        try:
            # Headers are enough: the body is not read (a dripping or endless
            # one would hold the run), and the whole probe has one deadline.
            headers = client.build_headers("default", None, None)
            with httpx.Client(timeout=timeout, trust_env=False, transport=bounded_transport()) as http, \
                    total_deadline(timeout), http.stream("GET", url, headers=headers):
                pass
        except httpx.HTTPError as exc:
            reason = (str(exc) or type(exc).__name__).splitlines()[0][:200]
            raise Unreachable(f"cannot reach the target at {self.masker.text(client.target.base_url)}: "
                              f"{type(exc).__name__}: {self.masker.text(reason)}") from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.server is not None:
            self.server.stop()
            self.server = None
