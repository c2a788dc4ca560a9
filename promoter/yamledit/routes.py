"""Dark canaries and shadow traffic: a header route and a mirror, for Istio and the Gateway API.

The same steps as Argo Rollouts' ``setHeaderRoute`` and ``setMirrorRoute``, written into the config repo
instead of the cluster. Where the weight helpers (:mod:`promoter.yamledit.traffic`) change scalars, these
insert, update or remove a whole route (or filter), so they return the file's new text. The structure is
rendered in the file's own layout and verified by re-parsing (:mod:`promoter.yamledit.structures`); an
update that keeps the route's shape changes only the scalars that differ, in their own quoting.

promoter's route is found by its name (Istio ``http[].name``, Gateway API ``rules[].name``) and is only
rewritten or removed when it holds nothing but the fields promoter writes, and a match: a route without one
is a catch-all, never a header route. Anything else is refused with the reason.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from promoter.yamledit import editor, paths, scalars, structures, traffic
from promoter.yamledit.errors import EditError
from promoter.yamledit.locate import Step
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import Plain, plain, same_plain


@dataclasses.dataclass(frozen=True)
class HeaderMatch:
    """Requests whose header ``header`` equals (starts with, matches the regex) ``value``.

    Istio takes all three kinds (``StringMatch``); the Gateway API has ``Exact`` and ``RegularExpression``
    only, and no prefix match for headers.
    """

    header: str
    value: str
    kind: str = "exact"  # exact | prefix | regex (checked by each helper, which refuses anything else)


_KINDS = ("exact", "prefix", "regex")
_GATEWAY_TYPES = {"exact": "Exact", "regex": "RegularExpression"}
# A Gateway API rule name is a SectionName: what the API server accepts, so promoter writes nothing else.
_SECTION_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@dataclasses.dataclass(frozen=True)
class _Shape:
    """Where promoter's routes live in a resource and which fields are promoter's in them."""

    items: str  # the list under ``spec``: ``http``, ``rules``
    fields: frozenset[str]  # every field promoter writes in its item
    required: frozenset[str]  # fields its item always has


_ISTIO_HEADER = _Shape("http", frozenset({"name", "match", "route"}), frozenset({"match"}))
_ISTIO_MIRROR = _Shape(
    "http", frozenset({"name", "match", "route", "mirror", "mirrorPercentage"}), frozenset({"match", "mirror"})
)
_GATEWAY_HEADER = _Shape("rules", frozenset({"name", "matches", "backendRefs"}), frozenset({"matches"}))


# Istio ------------------------------------------------------------------------------------------


def istio_header_route(
    text: str,
    *,
    route: str,
    match: Sequence[HeaderMatch] | None,
    canary_host: str,
    canary_subset: str | None = None,
    name: str | None = None,
    doc: int | None = None,
) -> str:
    """Send requests with these headers to the canary (``setHeaderRoute``); ``match=None`` removes the route.

    The route ``{name: route, match: [{headers: {h: {kind: v}, ...}}], route: [{destination: {host:
    canary_host, subset: canary_subset}, weight: 100}]}`` (no ``subset`` when ``None``) is inserted first
    in ``spec.http``, or an existing route of that name is updated in place to exactly that.
    """
    wanted: dict[str, Plain] | None = None
    if match is not None:
        wanted = {
            "name": route,
            "match": [{"headers": _istio_headers(match)}],
            "route": [{"destination": _istio_destination(canary_host, canary_subset), "weight": 100}],
        }
    return _named_route(text, "VirtualService", _ISTIO_HEADER, route, wanted, name, doc)


def istio_mirror_route(
    text: str,
    *,
    route: str,
    percent: float | None,
    match: Sequence[HeaderMatch] | None,
    stable_host: str,
    canary_host: str,
    stable_subset: str | None = None,
    canary_subset: str | None = None,
    name: str | None = None,
    doc: int | None = None,
) -> str:
    """Copy ``percent`` of the matching requests to the canary (``setMirrorRoute``); ``percent=None`` removes it.

    The route ``{name: route, match: [{headers: ...}], route: [{destination: stable, weight: 100}], mirror:
    canary, mirrorPercentage: {value: percent}}`` is inserted first in ``spec.http`` (or updated in place):
    the matching requests are still served by the stable version. Like Argo Rollouts, a mirror route needs a
    match; ``match`` is ignored when removing.
    """
    wanted: dict[str, Plain] | None = None
    if percent is not None:
        _check_percent(percent, whole=False)
        if not match:
            raise EditError(
                "a mirror route needs a header match (as Argo Rollouts' setMirrorRoute does): without one it "
                "would catch every request before the routes after it"
            )
        wanted = {
            "name": route,
            "match": [{"headers": _istio_headers(match)}],
            "route": [{"destination": _istio_destination(stable_host, stable_subset), "weight": 100}],
            "mirror": _istio_destination(canary_host, canary_subset),
            "mirrorPercentage": {"value": percent},
        }
    return _named_route(text, "VirtualService", _ISTIO_MIRROR, route, wanted, name, doc)


def _istio_destination(host: str, subset: str | None) -> dict[str, Plain]:
    if not host:
        raise EditError("a destination needs a host")
    return {"host": host} if subset is None else {"host": host, "subset": subset}


def _istio_headers(match: Sequence[HeaderMatch]) -> dict[str, Plain]:
    return {m.header: {m.kind: m.value} for m in _checked(match, gateway=False)}


# Gateway API ------------------------------------------------------------------------------------


def gateway_header_route(
    text: str,
    *,
    route: str,
    match: Sequence[HeaderMatch] | None,
    canary_service: str,
    port: int | None,
    name: str | None = None,
    doc: int | None = None,
    kind: str = "HTTPRoute",
) -> str:
    """Send requests with these headers to the canary Service; ``match=None`` removes the rule.

    The rule ``{name: route, matches: [{headers: [{name: h, value: v, type: Exact}, ...]}], backendRefs:
    [{name: canary_service, port: port}]}`` (no ``port`` when ``None``) is inserted first in ``spec.rules``
    (the Gateway API ranks rules by how specific their matches are, not by order; first reads best), or an
    existing rule of that name (``rules[].name``, Gateway API v1.2) is updated in place to exactly that.
    """
    if len(route) > 253 or not _SECTION_NAME.fullmatch(route):
        raise EditError(f"Gateway API rule names are lowercase letters, digits and '-' (a SectionName): {route!r}")
    wanted: dict[str, Plain] | None = None
    if match is not None:
        _check_port(port)
        headers: list[Plain] = [
            {"name": m.header, "value": m.value, "type": _GATEWAY_TYPES[m.kind]} for m in _checked(match, gateway=True)
        ]
        wanted = {
            "name": route,
            "matches": [{"headers": headers}],
            "backendRefs": [_backend_ref(canary_service, port)],
        }
    return _named_route(text, kind, _GATEWAY_HEADER, route, wanted, name, doc)


def gateway_mirror(
    text: str,
    *,
    rule: int | str,
    percent: int | None,
    canary_service: str,
    port: int | None,
    name: str | None = None,
    doc: int | None = None,
    kind: str = "HTTPRoute",
) -> str:
    """Mirror ``percent`` of rule ``rule``'s requests to the canary Service; ``percent=None`` removes the mirror.

    ``rule`` is an index into ``spec.rules`` or a rule's ``name``. The filter ``{type: RequestMirror,
    requestMirror: {backendRef: {name: canary_service, port: port}, percent: percent}}`` (``percent`` is
    Gateway API v1.2) is appended to the rule's ``filters`` (which is created when missing, and removed with
    the filter when it was the only one), or promoter's existing mirror to that Service is updated in place.
    """
    wanted: dict[str, Plain] | None = None
    if percent is not None:
        _check_percent(percent, whole=True)
        _check_port(port)
        mirror: dict[str, Plain] = {"backendRef": _backend_ref(canary_service, port), "percent": percent}
        wanted = {"type": "RequestMirror", "requestMirror": mirror}
    index, resource = traffic.find_resource(text, kind, name, doc)
    label = _label(kind, resource)
    source = Source(text)
    document = source.document(index)
    _, rules = _routes(source, document, "rules", label)
    position = _rule_position(rules, rule, label)
    rule_node = rules.value[position]
    if not isinstance(rule_node, MappingNode):
        raise source.error(f"{label}: spec.rules[{position}] is not a mapping", document.span(rule_node)[0])
    return _set_mirror(
        text,
        source,
        document,
        rule_node,
        ("spec", "rules", position),
        f"{label}: spec.rules[{position}]",
        canary_service,
        wanted,
    )


def _set_mirror(
    text: str,
    source: Source,
    doc: Document,
    rule: MappingNode,
    steps: tuple[Step, ...],
    where: str,
    service: str,
    wanted: dict[str, Plain] | None,
) -> str:
    """Make the rule's mirror to ``service`` read ``wanted`` (absent when ``None``), in its ``filters``."""
    filters = _child(rule, "filters")
    if filters is None:
        if wanted is None:
            return text
        return structures.apply(source, structures.add_key(source, doc, rule, steps, "filters", [wanted]))
    key, filter_list = filters
    if not isinstance(filter_list, SequenceNode):
        raise source.error(f"{where}.filters is not a list", doc.span(filter_list)[0])
    hits = [i for i, f in enumerate(filter_list.value) if _mirrors_to(plain(f), service)]
    if len(hits) > 1:
        raise source.error(f"{where}.filters mirrors to {service!r} {len(hits)} times: ambiguous", doc.span(key)[0])
    filter_steps = (*steps, "filters")
    if not hits:
        if wanted is None:
            return text
        change = structures.insert_item(source, doc, filter_list, filter_steps, len(filter_list.value), wanted, key=key)
        return structures.apply(source, change)
    found = hits[0]
    _check_mirror_filter(source, doc, filter_list.value[found], f"{where}.filters[{found}]")
    if wanted is None:
        if len(filter_list.value) == 1:
            return structures.apply(source, structures.remove_key(source, doc, rule, steps, "filters"))
        return structures.apply(source, structures.remove_item(source, doc, filter_list, filter_steps, found))
    return _update(text, source, doc, filter_list, filter_steps, found, wanted, key)


def _backend_ref(service: str, port: int | None) -> dict[str, Plain]:
    if not service:
        raise EditError("a backendRef needs a Service name")
    return {"name": service} if port is None else {"name": service, "port": port}


def _rule_position(rules: SequenceNode, rule: int | str, label: str) -> int:
    if isinstance(rule, str):
        hits = [i for i, item in enumerate(rules.value) if _name_of(item) == rule]
        if len(hits) != 1:
            raise EditError(f"{label}: {'no' if not hits else len(hits)} rule named {rule!r} in spec.rules")
        return hits[0]
    if not 0 <= rule < len(rules.value):
        raise EditError(f"{label} has no spec.rules[{rule}] (it has {len(rules.value)} rules)")
    return rule


def _mirrors_to(item: Plain, service: str) -> bool:
    if not isinstance(item, dict) or item.get("type") != "RequestMirror":
        return False
    mirror = item.get("requestMirror")
    ref = mirror.get("backendRef") if isinstance(mirror, dict) else None
    return isinstance(ref, dict) and ref.get("name") == service


def _check_mirror_filter(source: Source, doc: Document, node: Node, where: str) -> None:
    """promoter's mirror filter holds only what promoter writes: a ``fraction`` or a namespace is someone's."""
    item = plain(node)
    assert isinstance(item, dict)
    mirror = item["requestMirror"]
    assert isinstance(mirror, dict)
    ref = mirror["backendRef"]
    assert isinstance(ref, dict)
    if "fraction" in mirror:
        raise source.error(
            f"{where} mirrors a fraction (numerator/denominator); promoter writes percent: change it by hand",
            doc.span(node)[0],
        )
    foreign = sorted(
        (set(item) - {"type", "requestMirror"})
        | (set(mirror) - {"backendRef", "percent"})
        | (set(ref) - {"name", "port"})
    )
    if foreign:
        raise source.error(
            f"{where} has fields promoter does not write ({', '.join(foreign)}): it is not promoter's mirror",
            doc.span(node)[0],
        )


# shared -----------------------------------------------------------------------------------------


def _named_route(
    text: str, kind: str, shape: _Shape, route: str, wanted: dict[str, Plain] | None, name: str | None, doc: int | None
) -> str:
    """Make the item named ``route`` of ``spec.<items>`` read ``wanted``: insert it first, update it, remove it."""
    if not route:
        raise EditError("promoter's route needs a name: it is how promoter finds it again")
    index, resource = traffic.find_resource(text, kind, name, doc)
    label = _label(kind, resource)
    source = Source(text)
    document = source.document(index)
    key, items = _routes(source, document, shape.items, label)
    steps: tuple[Step, ...] = ("spec", shape.items)
    hits = [i for i, item in enumerate(items.value) if _name_of(item) == route]
    if len(hits) > 1:
        lines = ", ".join(str(source.position(document.span(items.value[i])[0])[0]) for i in hits)
        raise EditError(f"{label}: {len(hits)} items named {route!r} in spec.{shape.items} (lines {lines}): ambiguous")
    if not hits:
        if wanted is None:
            return text
        return structures.apply(source, structures.insert_item(source, document, items, steps, 0, wanted, key=key))
    position = hits[0]
    _check_owned(source, document, items.value[position], shape, f"{label}: spec.{shape.items}[{position}] ({route!r})")
    if wanted is None:
        if len(items.value) == 1:
            raise source.error(
                f"{label}: {route!r} is the only item in spec.{shape.items}; removing it would leave no route",
                document.span(items.value[position])[0],
            )
        return structures.apply(source, structures.remove_item(source, document, items, steps, position))
    return _update(text, source, document, items, steps, position, wanted, key)


def _label(kind: str, resource: traffic.Resource) -> str:
    metadata = resource.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{kind} {name}" if isinstance(name, str) else kind


def _child(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for k, v in mapping.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _routes(source: Source, doc: Document, items: str, label: str) -> tuple[ScalarNode, SequenceNode]:
    """``spec.<items>``, a list with at least one route (promoter's routes go beside the file's own)."""
    spec = _child(doc.root, "spec") if isinstance(doc.root, MappingNode) else None
    found = _child(spec[1], items) if spec is not None and isinstance(spec[1], MappingNode) else None
    if found is None or not isinstance(found[1], SequenceNode) or not found[1].value:
        at = doc.span(found[1] if found else doc.root)[0] if doc.root is not None else doc.start
        raise source.error(f"{label} has no spec.{items} routes: promoter's route goes beside existing ones", at)
    return found[0], found[1]


def _name_of(item: Node) -> str | None:
    if not isinstance(item, MappingNode):
        return None
    found = _child(item, "name")
    return str(found[1].value) if found is not None and isinstance(found[1], ScalarNode) else None


def _check_owned(source: Source, doc: Document, node: Node, shape: _Shape, where: str) -> None:
    """Refuse to rewrite or remove a route that holds anything promoter would not write."""
    item = plain(node)
    assert isinstance(item, dict)
    foreign = sorted(set(item) - shape.fields)
    missing = sorted(shape.required - set(item))
    if foreign or missing:
        why = f"has fields promoter does not write ({', '.join(foreign)})" if foreign else f"has no {missing[0]}"
        raise source.error(
            f"{where} {why}: it is not a route promoter wrote, so promoter will not change it; choose another name",
            doc.span(node)[0],
        )


def _update(
    text: str,
    source: Source,
    doc: Document,
    seq: SequenceNode,
    steps: tuple[Step, ...],
    position: int,
    wanted: dict[str, Plain],
    key: ScalarNode,
) -> str:
    """Make item ``position`` read ``wanted``: nothing if it does, its changed scalars if the shape is the same
    (a one-line diff, in the file's quoting), else the item written anew."""
    item = seq.value[position]
    if same_plain(plain(item), wanted):
        return text
    leaves = _changed_leaves(item, wanted, (*steps, position))
    if leaves is None:
        return structures.apply(source, structures.replace_item(source, doc, seq, steps, position, wanted, key=key))
    edits = [editor.Edit(_path(leaf_steps), value, doc=doc.index) for leaf_steps, value in leaves]
    return editor.apply(text, edits)


def _changed_leaves(
    node: Node, wanted: Plain, steps: tuple[Step, ...]
) -> list[tuple[tuple[Step, ...], scalars.Value]] | None:
    """The scalars to change so that ``node`` reads ``wanted``; ``None`` when the shapes differ."""
    if isinstance(wanted, dict):
        if not isinstance(node, MappingNode):
            return None
        keys = [str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)]
        if len(keys) != len(node.value) or len(set(keys)) != len(keys) or set(keys) != set(wanted):
            return None
        out: list[tuple[tuple[Step, ...], scalars.Value]] = []
        for k, v in node.value:
            inner = _changed_leaves(v, wanted[str(k.value)], (*steps, str(k.value)))
            if inner is None:
                return None
            out.extend(inner)
        return out
    if isinstance(wanted, list):
        if not isinstance(node, SequenceNode) or len(node.value) != len(wanted):
            return None
        items: list[tuple[tuple[Step, ...], scalars.Value]] = []
        for i, (n, w) in enumerate(zip(node.value, wanted, strict=True)):
            inner = _changed_leaves(n, w, (*steps, i))
            if inner is None:
                return None
            items.extend(inner)
        return items
    if not isinstance(node, ScalarNode) or scalars.kind_of(node) is scalars.Kind.OTHER:
        return None
    return [] if scalars.same(scalars.typed(node), wanted) else [(steps, wanted)]


def _path(steps: tuple[Step, ...]) -> tuple[paths.Segment, ...]:
    return tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps)


def _checked(match: Sequence[HeaderMatch], *, gateway: bool) -> Sequence[HeaderMatch]:
    if not match:
        raise EditError("an empty header match matches every request: give at least one header")
    seen: set[str] = set()
    for m in match:
        if m.kind not in _KINDS:
            raise EditError(f"header match kind {m.kind!r} is not one of {', '.join(_KINDS)}")
        if gateway and m.kind == "prefix":
            raise EditError(
                f"the Gateway API has no prefix match for headers (only Exact and RegularExpression): for {m.header} "
                f"use kind='regex' with value {'^' + re.escape(m.value)!r}"
            )
        if not m.header:
            raise EditError("a header match needs a header name")
        if gateway and not m.value:
            raise EditError(f"the Gateway API needs a value to match header {m.header} against")
        if m.header.lower() in seen:
            raise EditError(f"header {m.header} is matched twice (header names are case-insensitive)")
        seen.add(m.header.lower())
    return match


def _check_percent(percent: float, *, whole: bool) -> None:
    number = isinstance(percent, int | float) and not isinstance(percent, bool)
    if not number or not math.isfinite(percent) or not 0 <= percent <= 100:
        raise EditError(f"mirror percentage {percent!r} is not between 0 and 100")
    if whole and not isinstance(percent, int):
        raise EditError(f"mirror percentage {percent!r}: the Gateway API takes a whole percent")


def _check_port(port: int | None) -> None:
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise EditError(f"port {port!r} is not between 1 and 65535")
