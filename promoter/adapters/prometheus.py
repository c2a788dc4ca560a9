"""Prometheus, as an analysis reads it: the :class:`promoter.ports.Metrics` port over prometheus-api-client.

The one module that talks to Prometheus' HTTP API. Answers are parsed at the edge into plain values: a
scalar is a float, a vector the tuple of its values in Prometheus' order, a range query's matrix the values
series after series; ``NaN`` and ``±Inf`` are kept as floats. Secret ``{{args.NAME}}`` placeholders in the
query and the header values are filled in right before the request and never appear in an error (each
secret value is replaced by ``***``).

Failures: a refused connection, a timeout, a 5xx and a 429 are :class:`TemporaryError`; a bad query (400, 422),
a range vector or a string from an instant query, a malformed answer are :class:`PermanentError`; 401 and
403 are :class:`CredentialError`. No requests or prometheus-api-client exception leaves this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.exceptions import InsecureRequestWarning
from urllib3.util.retry import Retry

from promoter.errors import CredentialError, PermanentError, TemporaryError

if TYPE_CHECKING:
    from promoter.core.measurements import Result
    from promoter.core.templates import Header, Prometheus

# The same placeholder as promoter.core.templates': only secret ones are left when a query reaches the shell.
_PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")
_MAX_TIMEOUT = dt.timedelta(minutes=5)  # Prometheus' own --query.timeout is 2 minutes by default
# The HTTP client waits a little longer than Prometheus may compute, so Prometheus' own "timeout" answer
# (clearer) arrives before the client gives up.
_GRACE = 0.5
_REDACTED = "***"


def _no_secrets(name: str) -> str:
    raise KeyError(name)


@dataclasses.dataclass
class _Client:
    headers: dict[str, str]  # as filled in: a rotated secret replaces the client
    connect: PrometheusConnect


class PrometheusMetrics:
    """The :class:`promoter.ports.Metrics` port; ``secrets`` maps a secret argument's name to its value.

    One HTTP client (a connection pool) per provider address, headers and TLS setting, kept until
    :meth:`close`; use as a context manager. Safe to share between threads.
    """

    def __init__(self, secrets: Callable[[str], str] = _no_secrets) -> None:
        self._secrets = secrets
        self._clients: dict[tuple[str, tuple[Header, ...], bool], _Client] = {}
        self._lock = threading.Lock()
        self._last = threading.local()  # each thread's last HTTP response (see _capture)

    def query(self, provider: Prometheus, query: str, at: dt.datetime) -> Result:
        """An instant query at ``at`` (aware): a scalar, or a vector's values (one per series)."""
        secrets: list[str] = []
        text = self._fill(query, secrets)
        timeout = _timeout(provider)
        params = {"time": _timestamp(at), "timeout": _seconds(timeout)}
        data = self._call(
            provider, secrets, timeout, lambda client, wait: client.custom_query(text, params=params, timeout=wait)
        )
        where = _where(provider, secrets)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return _value(result, where)
        if kind == "vector" and isinstance(result, list):
            return tuple(_value(_field(series, "value", where), where) for series in result)
        if kind == "matrix":
            raise PermanentError(f"{where}: the query gives a range vector: wrap it in a function like rate()")
        if kind == "string":
            raise PermanentError(f"{where}: the query gives a string, not a number")
        raise PermanentError(f"{where}: malformed answer (result type {kind!r})")

    def samples(
        self, provider: Prometheus, query: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> tuple[float, ...]:
        """A range query's samples: every series' values in time order, series after series."""
        secrets: list[str] = []
        text = self._fill(query, secrets)
        timeout = _timeout(provider)
        # prometheus-api-client rounds start and end to whole seconds; these params override its own.
        params = {
            "start": _timestamp(start),
            "end": _timestamp(end),
            "step": _seconds(step),
            "timeout": _seconds(timeout),
        }
        data = self._call(
            provider,
            secrets,
            timeout,
            lambda client, wait: client.custom_query_range(
                text, start, end, params["step"], params=params, timeout=wait
            ),
        )
        where = _where(provider, secrets)
        kind, result = data.get("resultType"), data.get("result")
        if kind != "matrix" or not isinstance(result, list):
            raise PermanentError(f"{where}: malformed answer to a range query (result type {kind!r})")
        values: list[float] = []
        for series in result:
            points = _field(series, "values", where)
            if not isinstance(points, list):
                raise PermanentError(f"{where}: malformed answer (values of a series)")
            values.extend(_value(point, where) for point in points)
        return tuple(values)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.connect.close()

    def __enter__(self) -> PrometheusMetrics:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # the request ---------------------------------------------------------------------------------------

    def _fill(self, text: str, secrets: list[str]) -> str:
        """``text`` with its secret placeholders filled in; each value used is added to ``secrets``."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            try:
                value = self._secrets(name)
            except KeyError:
                raise PermanentError(f"the secret argument {name!r} has no value") from None
            if value:
                secrets.append(value)
            return value

        return _PLACEHOLDER.sub(fill, text)

    def _client(self, provider: Prometheus, secrets: list[str]) -> PrometheusConnect:
        headers = {h.key: self._fill(h.value, secrets) for h in provider.headers}
        key = (provider.address, provider.headers, provider.insecure)
        stale: _Client | None = None
        with self._lock:
            cached = self._clients.get(key)
            if cached is None or cached.headers != headers:
                stale, cached = cached, _Client(headers, self._connect(provider, headers))
                self._clients[key] = cached
        if stale is not None:
            stale.connect.close()
        return cached.connect

    def _connect(self, provider: Prometheus, headers: dict[str, str]) -> PrometheusConnect:
        session = requests.Session()
        session.verify = not provider.insecure  # a session of our own: the client's disable_ssl is not applied
        if provider.insecure:
            _unverified_is_meant(provider.address)
        session.hooks["response"].append(self._capture)
        # No retries: the shell retries a TemporaryError itself, after its delay (the client's default
        # retries three times with back-off, on 503 too, which would hold a pass for seconds).
        return PrometheusConnect(
            url=provider.address.rstrip("/"),
            headers=headers,
            session=session,
            retry=Retry(total=0, read=False, redirect=False),
        )

    def _capture(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # prometheus-api-client returns only ``data.result`` (not its type) and puts a failed answer's status
        # and body in a message: the response itself is kept for the parsing here.
        self._last.response = response

    def _call(
        self,
        provider: Prometheus,
        secrets: list[str],
        timeout: float,
        call: Callable[[PrometheusConnect, Any], object],
    ) -> dict[str, Any]:
        """The answer's ``data`` object; every failure as a TemporaryError or a PermanentError (redacted)."""
        client = self._client(provider, secrets)
        where = _where(provider, secrets)
        self._last.response = None
        # The HTTP timeout as Any: prometheus-api-client annotates it int, requests takes a float.
        wait: Any = timeout + _GRACE
        try:
            call(client, wait)
        except PrometheusApiClientException:
            pass  # a status other than 200: judged from the response below
        except requests.Timeout:
            raise TemporaryError(f"{where}: no answer within {timeout:g} s") from None
        except requests.exceptions.SSLError:
            raise PermanentError(f"{where}: TLS failed (check the certificate, or set insecure)") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TemporaryError(f"{where}: cannot connect ({_reason(exc)})") from None
        except requests.exceptions.InvalidHeader:
            # Its message holds the header's value: a secret, often with a stray newline from a file.
            raise PermanentError(f"{where}: a header value is not valid (a newline in a secret?)") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PermanentError(f"{where}: not a valid address (http://host:port)") from None
        except UnicodeError:
            # http.client encodes header values as Latin-1; the error names the character, not the value.
            raise PermanentError(f"{where}: a header value is not Latin-1 text") from None
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            failed: BaseException | None = exc  # a 200 that is not Prometheus' JSON, if a response came
        else:
            failed = None
        response: requests.Response | None = getattr(self._last, "response", None)
        self._last.response = None
        if response is None:
            what = f" ({type(failed).__name__})" if failed else ""
            raise PermanentError(f"{where}: the request failed before an answer{what}")
        return _answer(response, where, secrets)


# parsing -----------------------------------------------------------------------------------------------


def _answer(response: requests.Response, where: str, secrets: list[str]) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = _redact(_detail(body, response), secrets)
    if status == 200:
        data = body.get("data") if isinstance(body, dict) else None
        if body is None or not isinstance(data, dict) or body.get("status") != "success":
            raise PermanentError(f"{where}: answered 200 with something other than Prometheus' JSON")
        return data
    message = f"{where}: answered {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        raise CredentialError(f"{where}: refused ({status}): check the credentials")
    if status in (400, 422):  # bad_data (a parse error, a bad parameter) and execution errors
        raise PermanentError(f"{where}: bad query: {detail or status}")
    if status >= 500 or status in (408, 429):
        raise TemporaryError(message)
    raise PermanentError(message)


def _detail(body: object, response: requests.Response) -> str:
    """Prometheus' ``error`` text, else the start of the body."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text.strip()[:200]


def _field(series: object, name: str, where: str) -> Any:
    if not isinstance(series, dict) or name not in series:
        raise PermanentError(f"{where}: malformed answer (a series without {name!r})")
    return series[name]


def _value(point: object, where: str) -> float:
    """A ``[timestamp, "value"]`` pair's value; ``NaN``, ``+Inf`` and ``-Inf`` become those floats."""
    if not isinstance(point, list) or len(point) != 2 or not isinstance(point[1], str):
        raise PermanentError(f"{where}: malformed answer (a sample)")
    try:
        return float(point[1])
    except ValueError:
        raise PermanentError(f"{where}: malformed answer (a sample {point[1][:20]!r})") from None


# helpers -----------------------------------------------------------------------------------------------


def _timeout(provider: Prometheus) -> float:
    if provider.timeout <= dt.timedelta(0):
        raise PermanentError(f"Prometheus at {_address(provider.address)}: the timeout must be positive")
    return min(provider.timeout, _MAX_TIMEOUT).total_seconds()


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"a naive datetime: {at}")  # a programming error: the clock gives aware UTC
    return f"{at.timestamp():.3f}"


def _seconds(value: float | dt.timedelta) -> str:
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else value
    return f"{seconds:.6f}".rstrip("0").rstrip(".")


def _where(provider: Prometheus, secrets: list[str]) -> str:
    return _redact(f"Prometheus at {_address(provider.address)}", secrets)


def _address(address: str) -> str:
    """The address without a password in it."""
    parts = urllib.parse.urlsplit(address)
    if parts.password is None:
        return address
    host = parts.hostname or ""
    netloc = f"{parts.username}:{_REDACTED}@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***``, also as it appears URL-encoded."""
    for secret in sorted(secrets, key=len, reverse=True):
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
            text = text.replace(form, _REDACTED)
    return text


def _reason(exc: BaseException) -> str:
    """The operating system's word for a connection failure ("Connection refused"), else the error's type."""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    return type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (requests and urllib3 nest the socket error in args and reason)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend((*current.args, getattr(current, "reason", None), current.__cause__, current.__context__))


def _unverified_is_meant(address: str) -> None:
    """No ``InsecureRequestWarning`` at each query of a Prometheus its template marks ``insecure`` (Argo Rollouts'
    field: meant, and written in the config repo); other hosts keep the warning."""
    host = urllib.parse.urlsplit(address).hostname or ""
    warnings.filterwarnings(
        "ignore",
        message=f"Unverified HTTPS request is being made to host '{re.escape(host)}'",
        category=InsecureRequestWarning,
    )
