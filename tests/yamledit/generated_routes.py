"""Hypothesis strategies for VirtualServices and HTTPRoutes in the layouts people write: lists at their key's
column or indented, mappings indented by 2 or 4, comments above and beside items, quoted and flow values,
CRLF, other documents around, a missing final newline."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from promoter.yamledit import routes
from tests.yamledit.generated import TRICKY_STRINGS

HOSTS = st.sampled_from(["reviews", "reviews.prod.svc.cluster.local", "checkout", "1.10", "yes"])
HEADER_NAMES = st.sampled_from(["x-canary", "end-user", "x-version", "on", "true", "1.10", "X-Mixed", "x_under", "<<"])
HEADER_VALUES = TRICKY_STRINGS.filter(bool)


@dataclasses.dataclass(frozen=True)
class Style:
    """One file's layout."""

    sequence: int  # a list's '-' column beyond its key's
    mapping: int  # a nested mapping's indentation beyond its key's
    gap: int  # columns from '-' to the item's content
    newline: str
    final_newline: bool


@st.composite
def styles(draw: st.DrawFn) -> Style:
    return Style(
        sequence=draw(st.sampled_from([0, 2, 4])),
        mapping=draw(st.sampled_from([2, 4])),
        gap=draw(st.sampled_from([2, 2, 2, 4])),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        final_newline=draw(st.booleans()),
    )


def _quoted(draw: st.DrawFn, word: str) -> str:
    """The word plain when it reads as a string, else quoted; sometimes quoted anyway."""
    plain_ok = word not in ("1.10", "yes", "true", "on")
    style = draw(st.sampled_from(["plain", "plain", "single", "double"])) if plain_ok else "double"
    if style == "single":
        return f"'{word}'"
    if style == "double":
        return f'"{word}"'
    return word


def _comment(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", "", "  # note", " #c"]))


class _Lines:
    """Lines of one document in one style."""

    def __init__(self, draw: st.DrawFn, style: Style) -> None:
        self.draw = draw
        self.style = style
        self.lines: list[str] = []

    def key(self, column: int, key: str, value: str | None = None) -> None:
        tail = f" {value}" if value is not None else ""
        self.lines.append(f"{' ' * column}{key}:{tail}{_comment(self.draw)}")

    def scalar_item(self, key_column: int, value: str) -> None:
        _Item(self, key_column).first(value)

    def item(self, key_column: int) -> _Item:
        return _Item(self, key_column)


class _Item:
    """A list item under a key at ``key_column``: its first key goes on the '-' line."""

    def __init__(self, out: _Lines, key_column: int) -> None:
        self.out = out
        dash = key_column + out.style.sequence
        self.column = dash + out.style.gap
        self.lead: str | None = " " * dash + "-" + " " * (out.style.gap - 1)
        if out.draw(st.integers(0, 3)) == 0:
            out.lines.append(" " * dash + "# about the next item")

    def first(self, content: str) -> None:
        assert self.lead is not None
        self.out.lines.append(self.lead + content + _comment(self.out.draw))
        self.lead = None

    def key(self, key: str, value: str | None = None) -> None:
        if self.lead is not None:
            self.first(f"{key}:" + (f" {value}" if value is not None else ""))
        else:
            self.out.key(self.column, key, value)


def _destination(out: _Lines, column: int, *, weight: bool) -> None:
    draw = out.draw
    host = _quoted(draw, draw(HOSTS))
    subset = draw(st.sampled_from([None, "v1", "v2", "'v3'"]))
    item = out.item(column)
    if draw(st.booleans()):
        item.key("destination", f"{{host: {host}" + (f", subset: {subset}}}" if subset else "}"))
    else:
        item.key("destination")
        out.key(item.column + out.style.mapping, "host", host)
        if subset:
            out.key(item.column + out.style.mapping, "subset", subset)
    if weight:
        item.key("weight", str(draw(st.integers(0, 100))))


def _http_route(out: _Lines, column: int, name: str | None) -> None:
    draw = out.draw
    item = out.item(column)
    if name is not None:
        item.key("name", _quoted(draw, name))
    if draw(st.booleans()):
        item.key("match")
        match = out.item(item.column)
        match.key("uri")
        out.key(match.column + out.style.mapping, "prefix", draw(st.sampled_from(["/api", '"/v1"', "/"])))
    item.key("route")
    count = draw(st.integers(1, 2))
    for _ in range(count):
        _destination(out, item.column, weight=count > 1 or draw(st.booleans()))
    if draw(st.integers(0, 4)) == 0:
        item.key("timeout", "10s")


def _finish(draw: st.DrawFn, style: Style, body: list[str], kind: str) -> str:
    """The document among others (or alone), joined in the style's line breaks."""
    service = ["apiVersion: v1", "kind: Service", "metadata:", f"{' ' * style.mapping}name: reviews"]
    config = ["apiVersion: v1", "kind: ConfigMap", "data: {mode: shadow}"]
    docs = [body]
    if draw(st.booleans()):
        docs.insert(0, service)
    if draw(st.booleans()):
        docs.append(config)
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(f"# {kind} for the canary")
    for i, doc in enumerate(docs):
        if i or draw(st.booleans()):
            lines.append(draw(st.sampled_from(["---", "--- # next"])))
        lines.extend(doc)
    text = style.newline.join(lines)
    return text + style.newline if style.final_newline else text


@st.composite
def virtual_services(draw: st.DrawFn) -> str:
    style = draw(styles())
    out = _Lines(draw, style)
    m = style.mapping
    out.lines += ["apiVersion: networking.istio.io/v1", "kind: VirtualService"]
    out.key(0, "metadata")
    out.key(m, "name", "reviews")
    out.key(0, "spec")
    if draw(st.booleans()):
        out.key(m, "hosts", "[reviews]")
    else:
        out.key(m, "hosts")
        out.scalar_item(m, _quoted(draw, draw(HOSTS)))
    out.key(m, "http")
    names = draw(st.lists(st.sampled_from(["primary", "api", "fallback", "1.10"]), min_size=1, max_size=3, unique=True))
    for name in names:
        _http_route(out, m, name if draw(st.integers(0, 3)) else None)
    return _finish(draw, style, out.lines, "VirtualService")


@st.composite
def http_routes(draw: st.DrawFn) -> str:
    style = draw(styles())
    out = _Lines(draw, style)
    m = style.mapping
    out.lines += ["apiVersion: gateway.networking.k8s.io/v1", "kind: HTTPRoute"]
    out.key(0, "metadata")
    out.key(m, "name", "checkout")
    out.key(0, "spec")
    out.key(m, "parentRefs")
    out.item(m).key("name", "public")
    out.key(m, "rules")
    for i in range(draw(st.integers(1, 3))):
        rule = out.item(m)
        if draw(st.booleans()):
            rule.key("name", f"rule-{i}")
        rule.key("backendRefs")
        for service in draw(
            st.lists(st.sampled_from(["stable", "canary", "other"]), min_size=1, max_size=2, unique=True)
        ):
            ref = out.item(rule.column)
            ref.key("name", _quoted(draw, service))
            ref.key("port", "8080")
            if draw(st.booleans()):
                ref.key("weight", str(draw(st.integers(0, 1000))))
        if draw(st.booleans()):
            rule.key("matches")
            match = out.item(rule.column)
            match.key("path")
            out.key(match.column + m, "type", "PathPrefix")
            out.key(match.column + m, "value", draw(st.sampled_from(["/", '"/api"'])))
        if draw(st.integers(0, 2)) == 0:
            rule.key("filters")
            f = out.item(rule.column)
            f.key("type", "RequestHeaderModifier")
            f.key("requestHeaderModifier")
            out.key(f.column + m, "set", "[{name: x-env, value: prod}]")
    return _finish(draw, style, out.lines, "HTTPRoute")


@st.composite
def header_matches(draw: st.DrawFn, *, gateway: bool) -> list[routes.HeaderMatch]:
    kinds = ["exact", "regex"] if gateway else ["exact", "prefix", "regex"]
    names = draw(st.lists(HEADER_NAMES, min_size=1, max_size=3, unique_by=str.lower))
    return [routes.HeaderMatch(n, draw(HEADER_VALUES), draw(st.sampled_from(kinds))) for n in names]
