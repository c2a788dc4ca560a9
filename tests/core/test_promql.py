"""How far back a PromQL query reads: ranges, subqueries, offsets; strings, matchers and comments do not count."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promoter.core.promql import PromQLError, lookback, ranges

S, M, H, D = dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)

ISTIO = (
    'sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",'
    'response_code!~"5.*"}[5m])) / sum(irate(istio_requests_total{reporter="source",'
    'destination_service=~"{{args.service-name}}"}[5m]))'
)
HISTOGRAM = (
    "histogram_quantile(0.95, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{job="web", handler=~"/api/[a-z]+"}[2m])))'
)

LOOKBACKS = [
    pytest.param("up", dt.timedelta(0), id="no-range"),
    pytest.param("sum(up{job='web'}) by (instance) > 0", dt.timedelta(0), id="no-range-with-matchers"),
    pytest.param("rate(x[5m])", 5 * M, id="range"),
    pytest.param("rate(x[30s]) + rate(y[2h])", 2 * H, id="the-longest-of-several"),
    pytest.param("rate(x[1h30m])", 90 * M, id="combined-units"),
    pytest.param("rate(x[1d12h])", 36 * H, id="days-and-hours"),
    pytest.param("rate(x[2w])", 14 * D, id="weeks"),
    pytest.param("rate(x[1y])", 365 * D, id="a-year-is-365-days"),
    pytest.param("rate(x[500ms])", dt.timedelta(milliseconds=500), id="milliseconds"),
    pytest.param("rate(x[1m30s500ms])", 90 * S + dt.timedelta(milliseconds=500), id="minutes-seconds-millis"),
    pytest.param("rate(x[300])", 5 * M, id="plain-seconds"),
    pytest.param("rate(x[1.5])", dt.timedelta(milliseconds=1500), id="fractional-seconds"),
    pytest.param("rate(x[ 5m ])", 5 * M, id="spaces-in-brackets"),
    pytest.param("max_over_time(rate(x[1m])[30m:1m])", 31 * M, id="subquery-adds-its-inner-range"),
    pytest.param("max_over_time(rate(x[1m])[30m:])", 31 * M, id="subquery-default-step"),
    pytest.param("max_over_time((x)[10m:30s])", 10 * M, id="subquery-of-an-instant-vector"),
    pytest.param("max_over_time(deriv(rate(x[1m])[5m:])[1h:])", H + 6 * M, id="nested-subqueries"),
    pytest.param("rate(x[5m] offset 10m)", 15 * M, id="offset-adds"),
    pytest.param("rate(x[5m] offset -5m)", 5 * M, id="negative-offset-does-not-add"),
    pytest.param("rate(x[5m] offset +5m)", 10 * M, id="explicit-plus-offset"),
    pytest.param("x offset 1h", H, id="offset-without-range"),
    pytest.param("rate(x[5m] @ 1609746000)", 5 * M, id="at-timestamp-ignored"),
    pytest.param("rate(x[5m] @ start() offset 10m)", 15 * M, id="at-start-then-offset"),
    pytest.param("rate(x[5m] offset 10m @ end())", 15 * M, id="offset-then-at-end"),
    pytest.param("rate(x[5m] @ -100 offset 1m)", 6 * M, id="at-negative-timestamp"),
    pytest.param("max_over_time(rate(x[1m] offset 5m)[30m:1m])", 36 * M, id="offset-inside-a-subquery"),
    pytest.param("max_over_time(rate(x[1m])[30m:1m] offset 1h)", H + 31 * M, id="offset-of-a-subquery"),
    pytest.param("rate(x[5m]) offset 1h", H + 5 * M, id="offset-after-a-call-errs-long"),
    pytest.param('rate(x{path=~"/api/[0-9]+"}[1m])', M, id="brackets-in-a-double-quoted-string"),
    pytest.param("rate(x{path=~'/v[12]/.*'}[1m])", M, id="brackets-in-a-single-quoted-string"),
    pytest.param("rate(x{path=~`[a-z]{3}`}[1m])", M, id="brackets-and-braces-in-a-raw-string"),
    pytest.param('rate(x{a="\\"[1y]"}[1m])', M, id="escaped-quote-in-a-string"),
    pytest.param('label_replace(x[1m], "dst", "$1", "src", "(.*)[9h]")', M, id="brackets-in-a-string-argument"),
    pytest.param("rate({__name__=~'a.*', b!=\"[2d]\"}[3m])", 3 * M, id="selector-without-a-metric-name"),
    pytest.param("# a comment [1y]\nrate(x[1m])", M, id="a-comment-line"),
    pytest.param("rate(x[1m]) # [1y] after the query", M, id="a-trailing-comment"),
    pytest.param("rate(x{job='web' # [1y] note\n}[1m])", M, id="a-comment-inside-a-selector"),
    pytest.param("rate({{args.metric}}[2m])", 2 * M, id="an-unrendered-metric-name"),
    pytest.param("rate(x[5m]) > {{args.threshold}}", 5 * M, id="an-unrendered-threshold"),
    pytest.param("offset > 1", dt.timedelta(0), id="a-metric-named-offset"),
    pytest.param("rate(offset[1m])", M, id="a-metric-named-offset-with-a-range"),
    pytest.param("x offset", dt.timedelta(0), id="offset-at-the-end"),
    pytest.param("x @", dt.timedelta(0), id="a-lone-at"),
    pytest.param("rate(x[5m] @ start(1))", 5 * M, id="an-odd-at-argument"),
    pytest.param("job:rate5m:sum[5m]", 5 * M, id="a-recording-rule-name"),
    pytest.param(ISTIO, 5 * M, id="istio-success-rate"),
    pytest.param(HISTOGRAM, 2 * M, id="histogram-quantile"),
]


@pytest.mark.parametrize(("query", "expected"), LOOKBACKS)
def test_lookback(query: str, expected: dt.timedelta) -> None:
    assert lookback(query) == expected


RANGES = [
    pytest.param("up", (), id="none"),
    pytest.param(ISTIO, (5 * M, 5 * M), id="istio"),
    pytest.param("max_over_time(rate(x[1m])[30m:1m]) offset 1h", (M, 30 * M), id="inner-first-no-offsets"),
    pytest.param('rate(x{a="[1h]"}[2m]) / rate(y[3m])', (2 * M, 3 * M), id="in-order"),
]


@pytest.mark.parametrize(("query", "expected"), RANGES)
def test_ranges_lists_every_range_in_order(query: str, expected: tuple[dt.timedelta, ...]) -> None:
    assert ranges(query) == expected


REFUSED = [
    pytest.param("rate(x[{{args.window}}])", "'[{{args.window}}]'", id="unrendered-window"),
    pytest.param("rate(x[$__rate_interval])", "'[$__rate_interval]'", id="grafana-variable"),
    pytest.param("rate(x[])", "'[]'", id="empty-brackets"),
    pytest.param("rate(x[5])[5m:{{args.step}}]", "'[5m:{{args.step}}]'", id="unrendered-step"),
    pytest.param("rate(x[5 m])", "'[5 m]'", id="space-inside-a-duration"),
    pytest.param("rate(x[m5])", "'[m5]'", id="unit-first"),
    pytest.param("rate(x[5m1h])", "'[5m1h]'", id="units-out-of-order"),
    pytest.param("rate(x[1.5h])", "'[1.5h]'", id="fractional-units"),
    pytest.param("rate(x[5m * 2])", "'[5m * 2]'", id="duration-arithmetic"),
    pytest.param("rate(x[5m] offset 5x)", "'offset 5x'", id="bad-offset"),
    pytest.param("rate(x[5m] offset {{args.offset}})", "'offset {{args.offset}}'", id="unrendered-offset"),
    pytest.param("rate(x[300y])", "'300y' is out of range", id="past-int64-nanoseconds"),
    pytest.param("rate(x[" + "9" * 19 + "s])", "cannot read the duration", id="too-many-digits"),
    pytest.param("rate(x[5m)", "unclosed '['", id="unclosed-bracket"),
    pytest.param("rate(x{job='web[5m])", "unterminated string", id="unterminated-string"),
    pytest.param('rate(x{job="web}[5m])', "unterminated string", id="unterminated-string-in-a-selector"),
    pytest.param("rate(x{job='web'[5m]", "unclosed '{'", id="unclosed-brace"),
    pytest.param("rate(x[5m]))", "unbalanced ')'", id="extra-parenthesis"),
    pytest.param("rate(x[5m]", "a ')' is missing", id="missing-parenthesis"),
    pytest.param("rate(x5m])", "unbalanced ']'", id="stray-bracket"),
    pytest.param("x}", "unbalanced '}'", id="stray-brace"),
]


@pytest.mark.parametrize(("query", "message"), REFUSED)
def test_unreadable_queries_are_refused_with_the_part_named(query: str, message: str) -> None:
    with pytest.raises(PromQLError) as caught:
        lookback(query)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_lookback_past_what_a_timedelta_holds_is_refused() -> None:
    # 292 years nested 10,000 times: absurd, but it must fail as a PromQLError, not an OverflowError
    query = "x" + "[292y:]" * 10_000
    with pytest.raises(PromQLError, match="longer than a timedelta holds"):
        lookback(query)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="rate(x)[]{}:\"'`#\n 15msh@-offset", max_size=40) | st.text(max_size=40))
def test_any_text_yields_a_lookback_or_a_promql_error(query: str) -> None:
    try:
        found = lookback(query)
    except PromQLError:
        return
    assert found >= dt.timedelta(0)
    assert all(window <= found for window in ranges(query))
