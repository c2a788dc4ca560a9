"""The traffic simulator: follows what the Argo CD simulator deployed and serves Istio's metrics for it.

At each look (a scrape of ``/metrics``, a read of ``/_sim/traffic`` or :meth:`TrafficSimulator.flows`) it
reads every Application's live manifests, works out the entry points and their shares (:mod:`.routing`),
and advances the request totals (:mod:`.metrics`) from the previous look to now at the rates seen at the
previous look (sample and hold: when in between a share changed is not known, and with scrapes a second
apart it does not matter). Nothing runs between looks, so a stack that nobody scrapes costs nothing.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from promoter.gitops.manifests import Manifest
from promoter.sandbox.argocd import Simulator
from promoter.sandbox.traffic import routing
from promoter.sandbox.traffic.metrics import Labels, Meter, Rate

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text exposition format Prometheus scrapes
Deployed = Callable[[], Mapping[str, Sequence[Manifest]]]  # Application name -> its live (deployed) manifests
_DEFAULT_NAMESPACE = "default"  # where a resource without a namespace lands (an Application without one)
# A plain threaded HTTP server rather than uvicorn: every stack of the end-to-end tests starts one, and it
# stops within one poll (uvicorn takes about 0.2 s).
_POLL = 0.02
_STOP_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True)
class Options:
    """How the simulated requests behave. Image patterns are globs on the whole reference (``*:*-bad*``)."""

    rate: float = 50.0  # requests per second entering each entry point (a routing resource, a Service)
    preview_rate: float = 5.0  # ... each preview Service (a blue/green's, by name): a tester's trickle
    preview_services: tuple[str, ...] = ("*-preview",)
    error_images: tuple[str, ...] = ()  # workloads running these answer errors
    slow_images: tuple[str, ...] = ()  # workloads running these answer ``slowdown`` times slower
    follow_scenario: bool = True  # the Argo CD simulator's failing images (``fail_images``) answer errors too
    error_ratio: float = 0.6  # of a bad workload's requests, answered ``error_code``; the rest 200
    error_code: int = 503
    baseline_error_ratio: float = 0.001  # of a good workload's requests, answered ``error_code``
    latency_ms: float = 30.0  # a good workload's median latency
    slowdown: float = 10.0
    jitter: float = 0.03  # each series' rate varies by up to this fraction, second by second
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rate", "preview_rate"):
            if getattr(self, name) < 0:
                raise ValueError(f"traffic option {name}: must not be negative")
        for name in ("error_ratio", "baseline_error_ratio"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"traffic option {name}: must be between 0 and 1")
        if self.latency_ms <= 0 or self.slowdown <= 0:
            raise ValueError("traffic options latency_ms and slowdown: must be positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("traffic option jitter: must be at least 0 and below 1")
        if not 100 <= self.error_code <= 599:
            raise ValueError("traffic option error_code: must be an HTTP status")


@dataclasses.dataclass(frozen=True)
class Flow:
    """The requests one entry point sends to one workload through one Service, as last seen."""

    application: str
    entry: str  # ``Kind/name`` of the entry point (``VirtualService/app``, ``Service/app``)
    route: routing.Route  # the Service, the workload and the share of the entry point's requests
    per_second: float = 0.0  # requests per second (the jitter aside)
    error_ratio: float = 0.0  # of them answered ``Options.error_code``
    median_ms: float = 0.0

    @property
    def workload(self) -> str:
        return self.route.workload.name

    @property
    def version(self) -> str:
        return self.route.workload.version

    @property
    def share(self) -> float:
        return self.route.share

    def as_json(self) -> dict[str, Any]:
        w = self.route.workload
        return {
            "application": self.application,
            "entry": self.entry,
            "service": self.route.service,
            "namespace": self.route.namespace,
            "workload": w.name,
            "workload_namespace": w.namespace,
            "kind": w.kind,
            "image": w.image,
            "version": w.version,
            "replicas": w.replicas,
            "share": self.share,
            "per_second": self.per_second,
            "error_ratio": self.error_ratio,
            "median_ms": self.median_ms,
        }


class TrafficSimulator:
    """Istio's request metrics for what an Argo CD simulator deployed, served on ``/metrics``.

    ``source`` is the :class:`~promoter.sandbox.argocd.Simulator` (its live manifests, and its scenario's
    ``fail_images`` when ``Options.follow_scenario``), or a callable returning the live manifests per
    Application (then ``failing`` may say which images fail). ``clock`` is monotonic seconds (a seam for
    tests); the request totals count from construction. Serves ``GET /metrics`` on ``host``, on ``port``
    (0: a free one) from :meth:`start` to :meth:`stop`; ``GET /_sim/traffic`` shows :meth:`state` as JSON.
    """

    def __init__(
        self,
        source: Simulator | Deployed,
        *,
        options: Options | None = None,
        failing: Callable[[], Iterable[str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if isinstance(source, Simulator):
            simulator = source
            self._deployed: Deployed = lambda: {view.app.name: view.live.resources for view in simulator.views()}
            self._failing = failing or (lambda: simulator.scenario.fail_images)
        else:
            self._deployed = source
            self._failing = failing or tuple
        self._options = options or Options()
        self._clock = clock
        self._origin = clock()
        self._lock = threading.Lock()
        self._meter = Meter(self._options.seed, self._options.jitter)
        self._last = 0.0
        self._flows: tuple[Flow, ...] | None = None  # None: not looked yet
        self._entries: dict[str, tuple[Sequence[Manifest], tuple[routing.Entry, ...]]] = {}
        self._host, self._port = host, port
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # running ------------------------------------------------------------------------------------------

    def start(self) -> TrafficSimulator:
        if self._server is None:
            server = http.server.ThreadingHTTPServer((self._host, self._port), _handler(self))
            server.daemon_threads = True
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": _POLL}, name="traffic-simulator", daemon=True
            )
            self._server = server
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None and thread is not None:
            server.shutdown()  # returns once serve_forever has (within one poll)
            thread.join(_STOP_TIMEOUT)
            server.server_close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``/metrics`` below it); only while started."""
        return f"http://{self.target}"

    @property
    def target(self) -> str:
        """``127.0.0.1:PORT``, for a Prometheus scrape config; only while started."""
        if self._server is None:
            raise RuntimeError("the traffic simulator is not started")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> TrafficSimulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # what it simulates --------------------------------------------------------------------------------

    @property
    def options(self) -> Options:
        return self._options

    def set_options(self, **changes: Any) -> Options:
        """Change some options (``ValueError`` for a bad value); what happened so far keeps the old ones."""
        with self._lock:
            seen = self._observe()
            self._options = dataclasses.replace(self._options, **changes)
            self._meter.configure(self._options.seed, self._options.jitter)
            self._flows = self._rated(seen)  # the same flows, rated anew
            return self._options

    def flows(self) -> tuple[Flow, ...]:
        """Look now: the flows of every Application as deployed at this moment."""
        with self._lock:
            return self._observe()

    def exposition(self) -> bytes:
        """Look now, and write the metrics in Prometheus' text format (0.0.4)."""
        with self._lock:
            self._observe()
            return self._meter.exposition().encode()

    def _observe(self) -> tuple[Flow, ...]:
        now = self._clock() - self._origin
        seen = self._rated(self._read())
        held = seen if self._flows is None else self._flows
        self._meter.advance(self._last, now, _rates(held, self._options.error_code))
        self._last, self._flows = max(now, self._last), seen
        return seen

    def _read(self) -> list[Flow]:
        """Every route of every Application's entry points (their rates filled in by :meth:`_rated`)."""
        found: list[Flow] = []
        deployed = self._deployed()
        for name in self._entries.keys() - deployed.keys():
            del self._entries[name]
        for name, resources in sorted(deployed.items()):
            cached = self._entries.get(name)
            if cached is None or cached[0] is not resources:  # the simulator's renders are kept per commit
                cached = (resources, routing.entries(resources, _DEFAULT_NAMESPACE))
                self._entries[name] = cached
            found.extend(Flow(name, f"{e.kind}/{e.name}", route) for e in cached[1] for route in e.routes)
        return found

    def _rated(self, flows: Iterable[Flow]) -> tuple[Flow, ...]:
        """The flows with their rates, error ratios and latencies under the present options."""
        options = self._options
        failing = tuple(options.error_images) + (tuple(self._failing()) if options.follow_scenario else ())
        rated = []
        for flow in flows:
            name = flow.entry.partition("/")[2]
            preview = flow.entry.startswith("Service/") and _matches(name, options.preview_services)
            per_second = (options.preview_rate if preview else options.rate) * flow.share
            images = flow.route.workload.images
            bad = any(_matches(image, failing) for image in images)
            slow = any(_matches(image, options.slow_images) for image in images)
            rated.append(
                dataclasses.replace(
                    flow,
                    per_second=per_second,
                    error_ratio=options.error_ratio if bad else options.baseline_error_ratio,
                    median_ms=options.latency_ms * (options.slowdown if slow else 1.0),
                )
            )
        return tuple(rated)

    def state(self) -> dict[str, Any]:
        """Look now: the flows and the options, as ``GET /_sim/traffic`` shows them."""
        flows = self.flows()
        options = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self._options).items()}
        return {"flows": [flow.as_json() for flow in flows], "options": options}


def _handler(traffic: TrafficSimulator) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        """``GET /metrics`` and ``GET /_sim/traffic``; a connection per request (HTTP/1.0), no logging."""

        def do_GET(self) -> None:
            path = self.path.partition("?")[0]
            if path == "/metrics":
                self._send(200, CONTENT_TYPE, traffic.exposition())
            elif path == "/_sim/traffic":
                self._send(200, "application/json", json.dumps(traffic.state()).encode())
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found: try /metrics or /_sim/traffic\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the base class's signature; quiet
            del format, args

    return Handler


def labels(flow: Flow) -> Labels:
    """Istio's labels for a flow's requests (but the reporter and the response code), from the workload's
    pod labels as Istio's proxies read them; the version is the image tag."""
    service, w = flow.route.service, flow.route.workload
    app = w.labels.get("app") or w.labels.get("app.kubernetes.io/name")
    canonical = w.labels.get("service.istio.io/canonical-name") or app or w.name
    revision = w.labels.get("service.istio.io/canonical-revision") or w.labels.get("app.kubernetes.io/version")
    return (
        ("source_workload", "istio-ingressgateway"),
        ("source_workload_namespace", "istio-system"),
        ("source_app", "istio-ingressgateway"),
        ("destination_service", f"{service}.{flow.route.namespace}.svc.cluster.local"),
        ("destination_service_name", service),
        ("destination_service_namespace", flow.route.namespace),
        ("destination_workload", w.name),
        ("destination_workload_namespace", w.namespace),
        ("destination_app", app or "unknown"),
        ("destination_version", w.version),
        ("destination_canonical_service", canonical),
        ("destination_canonical_revision", revision or w.version),
        ("request_protocol", "http"),
        ("response_flags", "-"),
    )


def _rates(flows: Iterable[Flow], error_code: int) -> dict[tuple[Labels, str], Rate]:
    """Each series' rate: the flows' requests by labels, split by response code."""
    rates: dict[tuple[Labels, str], Rate] = {}
    for flow in flows:
        series = labels(flow)
        for code, fraction in (("200", 1.0 - flow.error_ratio), (str(error_code), flow.error_ratio)):
            key = (series, code)
            before = rates.get(key)
            per_second = flow.per_second * fraction + (before.per_second if before else 0.0)
            rates[key] = Rate(per_second, flow.median_ms)
    return rates


def _matches(text: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(text, pattern) for pattern in patterns)
