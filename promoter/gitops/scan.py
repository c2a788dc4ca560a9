"""Every container image reference and every Argo CD Application of a config repo, in one pass.

Pure: ``(path, bytes)`` pairs in, a frozen :class:`Scan` out; the caller reads the files.

What counts as an image reference is what ``promoter edit image`` edits (:mod:`promoter.yamledit.imageedit`),
found by the same rules over the same parse: ``image:`` strings at any depth (containers, init and ephemeral
containers, Helm values ``image: repo:tag``), Helm values mappings ``image: {registry, repository, tag,
digest}``, JSON6902 ``add``/``replace`` operations on a ``.../image`` path, kustomization ``images:`` entries
and the YAML inside its inline patches, and in Argo CD Applications ``kustomize.images``, inline
``helm.values``, ``helm.valuesObject`` and ``helm.parameters`` (a ``*repository`` with its ``*tag``).

A file is read whole, as the editor reads it: one that does not parse is one :class:`Problem` and gives
nothing else. Only ``.yaml``, ``.yml`` and ``.json`` files are read (what Argo CD reads from a directory).

The fast path (``fast=True``) gives exactly what parsing every file does (``fast=False``; the tests hold the
two equal), cheaper:

1. a file whose bytes hold neither ``image`` nor ``Application`` cannot matter and is not parsed (so a
   broken file that names neither is not reported: it is no business of this scan);
2. libyaml (ruamel's C parser, the one the editor composes with) checks the whole text in C, building no
   Python object; a text it refuses goes to step 4;
3. a document the walker would walk whole is read at its lines that name ``image`` only, each one's path
   worked out from the indentation above it: after checking, with substring tests, that indentation does
   describe the text (every line a key or a ``- `` item, scalars and flows on one line, no anchor, alias,
   tag, explicit or merge key, no escape; block scalars' lines set aside). Applications, ApplicationSets
   and kustomizations, whose walk (and plain data) needs all of them, are read by a line reader for the
   same subset, which builds the tree; both give up on anything else;
4. a file they gave up on is parsed as the slow path parses every file: by libyaml, and by ruamel's
   pure-Python parser where libyaml refuses or where the editor would use it (TABs, a BOM).

The images come in file order, then document, line and path order.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from promoter.gitops import applications, manifests
from promoter.yamledit import images, paths

SUFFIXES = (".yaml", ".yml", ".json")  # what Argo CD reads from a directory
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PATCH_KEYS = ("patchesStrategicMerge", "patches", "patchesJson6902")
_MARKERS = (b"image", b"Application", b"\\")


class Form(enum.Enum):
    """Where a reference is written, which says which fields spell it."""

    CONTAINER = "container"  # image: of an item of containers / initContainers / ephemeralContainers
    VALUE = "value"  # any other image: string (Helm values, CRDs of workloads)
    HELM = "helm"  # image: {registry, repository, tag, digest}
    JSON_PATCH = "json-patch"  # {op: replace, path: .../image, value: ...}
    KUSTOMIZE = "kustomize"  # a kustomization's images: entry {name, newName, newTag, digest}
    ARGOCD_KUSTOMIZE = "argocd-kustomize"  # an Application's kustomize.images: 'name=new:tag' or 'name:tag'
    HELM_PARAMETERS = "helm-parameters"  # an Application's helm.parameters *repository and *tag


class Kind(enum.Enum):
    APPLICATION = "Application"
    APPLICATION_SET = "ApplicationSet"


@dataclasses.dataclass(frozen=True)
class ImageRef:
    """One reference. ``line`` is 1-based, of the value (of the mapping, for a Helm mapping or a kustomize
    entry); ``path`` is the editor's path to it (``|`` steps into a block scalar); ``written`` is the text,
    or what the fields spell together; ``overrides`` is the image a kustomize override replaces."""

    file: str
    doc: int
    line: int
    path: str
    written: str
    name: str
    tag: str | None
    digest: str | None
    form: Form
    overrides: str | None = None

    @property
    def repository(self) -> str:
        """The normalised repository name (``docker.io/library/nginx``), for comparisons."""
        return images.ImageRef(self.name).repository


@dataclasses.dataclass(frozen=True)
class FoundDoc:
    """An Application or ApplicationSet: its document (0-based, as ``--doc``), line, and plain data."""

    file: str
    doc: int
    line: int
    kind: Kind
    document: manifests.Manifest


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    reason: str


@dataclasses.dataclass(frozen=True)
class Scan:
    images: tuple[ImageRef, ...]
    applications: tuple[FoundDoc, ...]
    problems: tuple[Problem, ...]


def scan(files: Iterable[tuple[str, bytes | str]], *, fast: bool = True) -> Scan:
    """Every reference and Application of the files, in their order; ``fast=False`` parses every file."""
    found = _Found()
    for file, data in files:
        if file.lower().endswith(SUFFIXES):
            _file(found, file, data, fast)
    return Scan(tuple(found.images), tuple(found.applications), tuple(found.problems))


def forget() -> None:
    """Drop what repeated readings reuse (parsed references, outlines of texts): the next scan pays the
    first reading's cost, as a fresh process does (the benchmark measures that one)."""
    for cached in (_image, _render, _checked_outline):
        cached.cache_clear()


# ---------------------------------------------------------------------------------------------------
# one file


@dataclasses.dataclass
class _Found:
    images: list[ImageRef] = dataclasses.field(default_factory=list)
    applications: list[FoundDoc] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)


def _file(found: _Found, file: str, data: bytes | str, fast: bool) -> None:
    if isinstance(data, bytes):
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        if fast and not utf16 and not (_MARKERS[0] in data or _MARKERS[1] in data or _MARKERS[2] in data):
            return
        try:
            text = data.decode("utf-16" if utf16 else "utf-8")
        except UnicodeDecodeError as exc:
            if _matters(data.decode("latin-1")):
                found.problems.append(
                    Problem(file, None, f"not {'UTF-16' if utf16 else 'UTF-8'} text: {exc.reason} at byte {exc.start}")
                )
            return
    else:
        text = data
    matters = _matters(text)
    if fast and not matters:
        return
    local = _read_file(file, text, fast, matters)
    local.images.sort(key=lambda ref: (ref.doc, ref.line, ref.path))
    found.images.extend(local.images)
    found.applications.extend(local.applications)
    found.problems.extend(sorted(local.problems, key=lambda problem: (problem.line or 0, problem.reason)))


def _read_file(file: str, text: str, fast: bool, matters: bool) -> _Found:
    """One file by the cheapest reading that can: the lines naming image (libyaml checking the whole text),
    then every line, then the parser (the editor's)."""
    for reading in (_fast_file, _outlined) if fast else ():
        local = _Found()
        try:
            reading(_Walker(local, file, fast), text)
        except _Refused:
            break  # libyaml refuses it: the parser has the last word
        except _Unsupported:
            continue
        return local
    local = _Found()
    try:
        _parsed(_Walker(local, file, fast=False), text)
    except _Broken as exc:
        return _Found(problems=[Problem(file, exc.line, exc.reason)] if matters else [])
    return local


def _outlined(walker: _Walker, text: str) -> None:
    walker.documents(_outline(text))


def _parsed(walker: _Walker, text: str) -> None:
    walker.fast = False
    walker.nodes(_compose(text), 0)


def _matters(text: str) -> bool:
    """Whether a file can hold a reference or an Application: every one spells ``image`` or ``Application``,
    or hides it in a double-quoted escape (``"\\x69mage"``)."""
    return "image" in text or "Application" in text or _hides(text)


_HIDING = re.compile(r"\\[xuU\r\n]")


def _hides(text: str) -> bool:
    """Whether an escape could spell a letter: ``\\x``, ``\\u``, ``\\U``, or an escaped line break that
    joins two words (``\\"`` and the like cannot)."""
    return "\\" in text and _HIDING.search(text) is not None


class _Unsupported(Exception):
    """The line reader met something outside its subset: the parser reads the file instead."""


class _Refused(_Unsupported):
    """libyaml does not parse the text (or the line reader never reads such text): only the parser may judge."""


class _Broken(Exception):
    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


# ---------------------------------------------------------------------------------------------------
# the tree both readers give: mappings by key (the first of duplicates; the rest in ``dups``), lists, and
# scalars as (text as read, style, line) where style is '' plain, "'" or '"' quoted, '|' or '>' block


class _Map(dict[str, "_Tree"]):
    __slots__ = ("dups", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.dups: list[tuple[str, _Tree]] = []


class _Seq(list["_Tree"]):
    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


_Scalar = tuple[str, str, int]
_Tree = _Map | _Seq | _Scalar


def _text(mapping: _Map, name: str) -> str | None:
    node = mapping.get(name)
    return node[0] if type(node) is tuple else None


# ---------------------------------------------------------------------------------------------------
# the parser (the slow path, and the fast path's fallback): as the editor composes a file


def _c_yaml() -> YAML:
    return YAML(typ="safe", pure=False)


@functools.cache
def _constructing() -> YAML:
    """One loader whose resolver and constructor give plain data (they keep no state between documents)."""
    return _c_yaml()


def _strict_yaml() -> YAML:
    return YAML(typ="rt", pure=True)


def _compose(text: str) -> list[Node | None]:
    """Every document's root, composed as the editor does: libyaml's parser unless the text holds a TAB or a
    BOM (the pure parser judges those), and the pure parser where libyaml refuses; _Broken if neither takes it."""
    if "\t" not in text and "\ufeff" not in text:
        try:
            return list(_c_yaml().compose_all(text))
        except YAMLError:
            pass
    try:
        return list(_strict_yaml().compose_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        reason = f"not valid YAML: {problem}"
        if "{{" in text:
            reason = f"looks like a Go/Helm template, not YAML until rendered ({problem})"
        raise _Broken(None if mark is None else mark.line + 1, reason) from None
    except YAMLError as exc:
        raise _Broken(None, f"not valid YAML: {exc}") from None


def _tree(node: Node, offset: int, seen: frozenset[int] = frozenset()) -> _Tree:
    """A composed node as the walker's tree; ``offset`` is added to the lines."""
    line = node.start_mark.line + 1 + offset
    if isinstance(node, ScalarNode):
        return (node.value, node.style or "", line)
    if id(node) in seen:
        raise _Broken(line, "an alias refers to a node that contains it (a recursive structure)")
    inner = seen | {id(node)}
    if isinstance(node, MappingNode):
        mapping = _Map(line)
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                value = _tree(v, offset, inner)
                if k.value in mapping:
                    mapping.dups.append((k.value, value))
                else:
                    mapping[k.value] = value
        return mapping
    assert isinstance(node, SequenceNode)
    seq = _Seq(line)
    seq.extend(_tree(item, offset, inner) for item in node.value)
    return seq


def _construct(node: Node) -> Any:
    """The plain data of a composed document, as :func:`manifests.load_documents` gives it."""
    try:
        return manifests.plain(_c_yaml().constructor.construct_document(node))  # (a failed one leaves state)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _Broken(None if mark is None else mark.line + 1, f"invalid YAML: {manifests.describe(exc)}") from None
    except TypeError:  # ruamel's constructor on a key that is a mapping or a list
        raise _Broken(node.start_mark.line + 1, "a mapping key that is a mapping or a list") from None


# ---------------------------------------------------------------------------------------------------
# the walk: the editor's rules (imageedit._Finder) over every reference, not only one image's


@dataclasses.dataclass
class _Doc:
    index: int
    root: _Tree | None
    node: Node | None  # the composed root, when the parser read it (for its plain data)


_Steps = tuple[str | int, ...]


class _Walker:
    def __init__(self, found: _Found, file: str, fast: bool) -> None:
        self.found = found
        self.file = file
        self.basename = file.rsplit("/", 1)[-1]
        self.fast = fast
        self.doc = 0

    def nodes(self, roots: list[Node | None], offset: int) -> None:
        self.documents([_Doc(i, None if root is None else _tree(root, offset), root) for i, root in enumerate(roots)])

    def documents(self, docs: list[_Doc]) -> None:
        for doc in docs:
            root = doc.root
            if type(root) is not _Map:
                continue
            self.doc = doc.index
            kind = _text(root, "kind")
            api = _text(root, "apiVersion") or ""
            if (
                kind == "Kustomization"
                or api.startswith("kustomize.config.k8s.io")
                or (kind is None and self.basename in _KUSTOMIZATION_NAMES)
            ):
                self.kustomization(root)
            elif kind == "Application" and api.startswith("argoproj.io/"):
                self.application(root)
            else:
                self.walk(root, (), "", 0)
            if kind in ("Application", "ApplicationSet") and api.startswith("argoproj.io/"):
                data = _construct(doc.node) if doc.node is not None else _plain(root)
                self.found.applications.append(FoundDoc(self.file, doc.index, root.line, Kind(kind), data))

    def record(
        self,
        line: int,
        steps: _Steps,
        prefix: str,
        written: str,
        ref: images.ImageRef,
        form: Form,
        overrides: str | None = None,
    ) -> None:
        path = prefix + _render(steps)
        self.found.images.append(
            ImageRef(self.file, self.doc, line, path, written, ref.name, ref.tag, ref.digest, form, overrides)
        )

    # generic walk: containers, Helm values, JSON6902 operations

    def walk(self, node: _Map | _Seq, steps: _Steps, prefix: str, offset: int) -> None:
        if type(node) is _Seq:
            for i, item in enumerate(node):
                if not isinstance(item, tuple):
                    self.walk(item, (*steps, i), prefix, offset)
            return
        assert type(node) is _Map
        image = node.get("image")
        if image is not None:
            if type(image) is tuple:
                ref = _image(image[0])
                if ref is not None:
                    in_list = len(steps) >= 2 and type(steps[-1]) is int and steps[-2] in _CONTAINER_LISTS
                    form = Form.CONTAINER if in_list else Form.VALUE
                    self.record(image[2] + offset, (*steps, "image"), prefix, image[0], ref, form)
            elif type(image) is _Map:
                self.helm_image(image, (*steps, "image"), prefix, offset)
        if "op" in node and _text(node, "op") in ("add", "replace") and (_text(node, "path") or "").endswith("/image"):
            value = node.get("value")
            if type(value) is tuple:
                ref = _image(value[0])
                if ref is not None:
                    self.record(value[2] + offset, (*steps, "value"), prefix, value[0], ref, Form.JSON_PATCH)
        for k, v in node.items():
            if not isinstance(v, tuple) and k != "image":
                self.walk(v, (*steps, k), prefix, offset)
        for k, v in node.dups:
            if not isinstance(v, tuple) and k != "image":
                self.walk(v, (*steps, k), prefix, offset)

    def helm_image(self, image: _Map, steps: _Steps, prefix: str, offset: int) -> None:
        repository = _text(image, "repository")
        if repository is None:
            return
        registry = _text(image, "registry")
        ref = _image(f"{registry}/{repository}" if registry else repository)
        if ref is None:
            return
        ref = images.ImageRef(ref.name, _text(image, "tag") or ref.tag, _text(image, "digest") or ref.digest)
        self.record(image.line + offset, steps, prefix, str(ref), ref, Form.HELM)

    # kustomize

    def kustomization(self, root: _Map) -> None:
        entries = root.get("images")
        if type(entries) is _Seq:
            for i, entry in enumerate(entries):
                if type(entry) is _Map:
                    self.kustomize_entry(entry, ("images", i))
        for key in _PATCH_KEYS:
            patches = root.get(key)
            if type(patches) is not _Seq:
                continue
            for i, patch in enumerate(patches):
                if type(patch) is tuple and patch[1] == "|":
                    self.inside_block(patch, (key, i))
                elif type(patch) is _Map:
                    inline = patch.get("patch")
                    if type(inline) is tuple and inline[1] == "|":
                        self.inside_block(inline, (key, i, "patch"))

    def kustomize_entry(self, entry: _Map, steps: _Steps) -> None:
        name, new_name = _text(entry, "name"), _text(entry, "newName")
        named = _image(name) if name else None
        renamed = _image(new_name) if new_name else None
        ref = renamed or named
        if ref is None:
            return  # the editor matches an entry by its name or newName
        tag, digest = _text(entry, "newTag"), _text(entry, "digest")
        ref = images.ImageRef(ref.name, tag or ref.tag, digest or ref.digest)
        overrides = name if renamed is not None and name else None
        self.record(entry.line, steps, "", str(ref), ref, Form.KUSTOMIZE, overrides)

    def inside_block(self, block: _Scalar, steps: _Steps) -> None:
        """The YAML inside a ``|`` block scalar (an inline patch, inline Helm values), as the editor walks it."""
        text, _, line = block
        docs: list[_Doc] | None = None
        if self.fast and not _refused(text) and _libyaml_accepts(text):
            try:
                docs = _outline(text)  # (it reads only what libyaml parses: it checks no character)
            except _Unsupported:
                docs = None
        if docs is None:
            try:
                composed = _compose(text)
            except _Broken:
                return  # not YAML inside: not an image reference either
            docs = [_Doc(i, None if r is None else _tree(r, 0), r) for i, r in enumerate(composed)]
        if len(docs) > 1:
            self.found.problems.append(
                Problem(self.file, line, "several YAML documents inside one block scalar: not read")
            )
            return
        for doc in docs:
            if type(doc.root) is _Map or type(doc.root) is _Seq:
                self.walk(doc.root, (), _render(steps) + "|", line)  # its text starts on the line after '|'

    # Argo CD Application

    def application(self, root: _Map) -> None:
        spec = root.get("spec")
        if type(spec) is not _Map:
            return
        for steps, source in _sources(spec):
            kustomize = source.get("kustomize")
            if type(kustomize) is _Map:
                listed = kustomize.get("images")
                if type(listed) is _Seq:
                    for i, item in enumerate(listed):
                        if type(item) is tuple:
                            self.argocd_kustomize_image(item, ("spec", *steps, "kustomize", "images", i))
            helm = source.get("helm")
            if type(helm) is _Map:
                values = helm.get("values")
                if type(values) is tuple and values[1] == "|":
                    self.inside_block(values, ("spec", *steps, "helm", "values"))
                values_object = helm.get("valuesObject")
                if type(values_object) is _Map or type(values_object) is _Seq:
                    self.walk(values_object, ("spec", *steps, "helm", "valuesObject"), "", 0)
                parameters = helm.get("parameters")
                if type(parameters) is _Seq:
                    self.helm_parameters(parameters, ("spec", *steps, "helm", "parameters"))

    def argocd_kustomize_image(self, item: _Scalar, steps: _Steps) -> None:
        original, equals, replacement = item[0].partition("=")
        ref = _image(replacement if equals else original)
        if ref is None or (equals and _image(original) is None):
            return
        self.record(item[2], steps, "", item[0], ref, Form.ARGOCD_KUSTOMIZE, original if equals else None)

    def helm_parameters(self, parameters: _Seq, steps: _Steps) -> None:
        named: dict[str, tuple[int, _Map]] = {}
        for i, item in enumerate(parameters):
            if type(item) is _Map:
                name = _text(item, "name")
                if name:
                    named[name] = (i, item)
        for name, (i, item) in named.items():
            if not name.endswith("repository"):
                continue
            value = item.get("value")
            ref = _image(value[0]) if type(value) is tuple else None
            tag_param = named.get(name.removesuffix("repository") + "tag")
            if ref is None or type(value) is not tuple or tag_param is None:
                continue  # the editor sets the tag parameter; without one there is nothing it would edit
            tag = _text(tag_param[1], "value")
            ref = images.ImageRef(ref.name, tag or ref.tag, ref.digest)
            self.record(value[2], (*steps, i, "value"), "", str(ref), ref, Form.HELM_PARAMETERS)


def _sources(spec: _Map) -> Iterator[tuple[_Steps, _Map]]:
    single = spec.get("source")
    if type(single) is _Map:
        yield ("source",), single
    many = spec.get("sources")
    if type(many) is _Seq:
        for i, item in enumerate(many):
            if type(item) is _Map:
                yield ("sources", i), item


@functools.lru_cache(maxsize=8192)
def _image(text: str) -> images.ImageRef | None:
    return images.parse(text)  # (the same references come back in every environment's files)


@functools.lru_cache(maxsize=8192)
def _render(steps: _Steps) -> str:
    return paths.render(tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps))


# ---------------------------------------------------------------------------------------------------
# plain data from the line reader's tree, as the parser's constructor would give it

_PLAIN_CACHE: dict[str, Any] = {}


@functools.cache
def _maybe_not_text() -> frozenset[str]:
    """The first characters of the plain scalars the resolver may read as other than a string."""
    return frozenset(str(c) for c in _constructing().resolver.versioned_resolver if c)


def _not_text(key: str) -> bool:
    """Whether a plain key reads as other than itself (``1``, ``true``, ``null``)."""
    return key[0] in _maybe_not_text() and _resolve(key) != key


def _plain(node: _Tree) -> Any:
    if type(node) is tuple:
        return node[0] if node[1] else _resolve(node[0])
    if type(node) is _Seq:
        return [_plain(item) for item in node]
    assert type(node) is _Map
    return {key: _plain(value) for key, value in node.items()}  # keys: the line reader takes only text keys


def _resolve(value: str) -> Any:
    """A plain scalar's value by ruamel's resolver and constructor (YAML 1.2: ``yes`` stays a string)."""
    if value and value[0] not in _maybe_not_text():
        return value
    if value not in _PLAIN_CACHE:
        yaml = _constructing()
        tag = yaml.resolver.resolve(ScalarNode, value, (True, False))
        try:
            constructed = yaml.constructor.construct_non_recursive_object(ScalarNode(tag, value))
        except Exception:  # noqa: BLE001  (any constructor complaint: the parser path reports it its way)
            raise _Unsupported from None
        _PLAIN_CACHE[value] = manifests.plain(constructed)
    return _PLAIN_CACHE[value]


# ---------------------------------------------------------------------------------------------------
# the line reader: block YAML as config repos write it, or _Unsupported

_DOC_MARK = re.compile(r"^---(?=[ \n]|$)", re.M)
_REFUSE = re.compile(r"^(?:%|\.\.\.(?:[ \n]|$))|\t|\r|\ufeff", re.M)


def _refused(text: str) -> bool:
    """TABs, a BOM, lone CRs, directives and document ends: the line reader leaves those to the parser."""
    if "\t" in text or "\r" in text or "\ufeff" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return True  # (NEL and the Unicode line separators break lines for libyaml, not for str.split)
    if text[:1] in ("%", ".") or "\n%" in text or "\n..." in text:
        return _REFUSE.search(text) is not None
    return False


def _marks(text: str) -> list[int]:
    """Where the '---' document markers start."""
    if not text.startswith("---") and "\n---" not in text:
        return []
    return [m.start() for m in _DOC_MARK.finditer(text)]


# a key at the start of a line's content (after the indentation and any '- '), and the ': ' after it
_KEY = re.compile(
    r"""(?:
        ([^\s\-?:,\[\]{}\#&*!|>'"%@`] (?:[^:\#\n] | :(?![ \n]|$) | (?<![ ])\#)*?)  # plain
        | "([^"\\\n]*)"  # double-quoted, without escapes
        | '((?:[^'\n]|'')*)'  # single-quoted
    )[ ]*:(?:[ ]+|$)""",
    re.VERBOSE,
)
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
# (a ':' inside, as in an image reference, libyaml refuses there; the pure parser, which then judges, takes it)
_FLOW_PLAIN = re.compile(r"[^\s,\[\]{}#:&*!|>'\"%@`?\-](?:[^,\[\]{}#:\n]|:(?=[^\s,\[\]{}]))*")


def _outline(text: str) -> list[_Doc]:
    """The documents of the text, each read by :func:`_read`."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # YAML reads a CRLF as one line break, in scalars too
    if text.startswith("\ufeff"):
        text = text[1:]
    if _refused(text):
        raise _Unsupported
    docs: list[_Doc] = []
    starts = _marks(text)
    first_line = 0
    if not starts or starts[0] != 0:
        head = text[: starts[0]] if starts else text
        root = _read(head.split("\n"), 1)
        if root is not None:
            docs.append(_Doc(0, root, None))
        first_line = head.count("\n")
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        chunk = text[start:end]
        marker_end = chunk.find("\n")
        after = chunk[3:] if marker_end < 0 else chunk[3:marker_end]
        if after.strip() and not after.lstrip().startswith("#"):
            raise _Unsupported  # content on the '---' line
        body = "" if marker_end < 0 else chunk[marker_end + 1 :]
        root = _read(body.split("\n"), first_line + 2)
        docs.append(_Doc(len(docs), ("", "", first_line + 1) if root is None else root, None))
        first_line += chunk.count("\n")
    return docs


def read_documents(text: str) -> list[tuple[int, Any]] | None:
    """Each document's first line of content and plain data (None: an empty one), as
    :func:`manifests.load_documents` reads them, by libyaml's check and the line reader; None when the text
    is outside the line reader's subset (then only a parser may say what it holds)."""
    docs = _checked_outline(text.replace("\r\n", "\n") if "\r" in text else text)
    if docs is None:
        return None
    try:
        return [(_first_line(doc.root), _plain(doc.root)) for doc in docs if doc.root is not None]
    except _Unsupported:
        return None


@functools.lru_cache(maxsize=2048)
def _checked_outline(text: str) -> tuple[_Doc, ...] | None:
    """libyaml's check and the line reader's documents of a whole text, None outside its subset; kept for
    the next reading of the same text (``promoter apps --images`` reads an Application's file for discovery,
    then for its images). The trees are only read, never changed."""
    if _refused(text) or not _libyaml_accepts(text):
        return None
    if "*" in text and any(_SPECIAL.search(line) for line in text.split("\n") if "*" in line):
        return None  # an alias: libyaml's parse does not look for its anchor, composing does
    try:
        return tuple(_outline(text))
    except _Unsupported:
        return None


def _first_line(node: _Tree) -> int:
    return node[2] if type(node) is tuple else node.line  # type: ignore[union-attr]


def _read(lines: list[str], first: int) -> _Map | _Seq | None:  # noqa: PLR0915 (one loop, kept flat for speed)
    """One document's lines as a tree. Each line is ``key: value`` or ``- item``; a nested block is more
    indented than its key (a list may sit at its key's indentation). Anything else raises _Unsupported."""
    not_text = _maybe_not_text()
    indents: list[int] = []
    nodes: list[_Map | _Seq] = []
    pending: str | None = None  # the key of the innermost mapping whose value starts on a later line
    pending_line = 0
    count = len(lines)
    i = 0
    while i < count:
        line = lines[i]
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            i += 1
            continue
        indent = len(line) - len(content)
        number = first + i
        dash = content[0] == "-" and (len(content) == 1 or content[1] == " ")
        if nodes:
            if pending is not None:
                top_indent = indents[-1]
                if indent > top_indent or (dash and indent == top_indent):
                    child: _Map | _Seq = _Seq(number) if dash else _Map(number)
                    nodes[-1][pending] = child  # type: ignore[call-overload]
                    indents.append(indent)
                    nodes.append(child)
                else:
                    nodes[-1][pending] = ("", "", pending_line)  # type: ignore[call-overload]
                pending = None
            while indents[-1] > indent or (
                not dash and indents[-1] == indent and type(nodes[-1]) is _Seq and len(nodes) > 1
            ):
                indents.pop()
                nodes.pop()
                if not nodes:
                    raise _Unsupported
            if indents[-1] != indent:
                raise _Unsupported  # an indentation no open block has: the parser says what it is
            top = nodes[-1]
        else:
            top = _Seq(number) if dash else _Map(number)
            indents.append(indent)
            nodes.append(top)
        if dash:
            if type(top) is not _Seq:
                raise _Unsupported
            start = 1
            while start < len(content) and content[start] == " ":
                start += 1
            rest = content[start:]
            if not rest or rest[0] == "#" or (rest[0] == "-" and (len(rest) == 1 or rest[1] == " ")):
                raise _Unsupported  # '-' alone, or '- - x'
            split = _split_key(rest)
            if split is None:
                value, i = _value(rest, number, lines, i, indent)
                top.append(value)
                i += 1
                continue
            mapping = _Map(number)
            top.append(mapping)
            indents.append(indent + start)
            nodes.append(mapping)
            top = mapping
            content = rest
        else:
            if type(top) is not _Map:
                raise _Unsupported
            split = _split_key(content)
            if split is None:
                raise _Unsupported  # a line that is no key: a multi-line scalar, or not YAML
        key, plain, rest = split
        if plain and key[0] in not_text and _not_text(key):
            raise _Unsupported  # a key that is no string (1, true, null): the constructor's business
        if key in top or key == "<<":
            raise _Unsupported  # duplicate keys, merge keys
        if not rest or rest[0] == "#":
            pending = key
            pending_line = number
        else:
            first_char = rest[0]
            if first_char not in _PLAIN_START and " #" not in rest and ": " not in rest and rest[-1] not in ": ":
                top[key] = (rest, "", number)
            else:
                top[key], i = _value(rest, number, lines, i, indents[-1])
        i += 1
    if pending is not None:
        nodes[-1][pending] = ("", "", pending_line)  # type: ignore[call-overload]
    return nodes[0] if nodes else None


_NOT_PLAIN_KEY = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _split_key(content: str) -> tuple[str, bool, str] | None:
    """(the key, whether it is plain, what follows its ': ') of a line's content; None when it holds none."""
    if content[0] not in _NOT_PLAIN_KEY:
        colon = content.find(": ")
        if colon < 0:
            if content[-1] != ":":
                return None
            colon = len(content) - 1
        key = content[:colon]
        if " #" not in key and colon < 1000:
            return key.rstrip(" "), True, content[colon + 1 :].lstrip(" ")
    match = _KEY.match(content)
    if match is None:
        return None
    if match.end() > 1000:
        raise _Unsupported  # YAML limits an implicit key to 1024 characters
    plain, double, single = match.groups()
    if plain is not None:
        return plain.rstrip(" "), True, content[match.end() :]
    return (
        (double, False, content[match.end() :])
        if double is not None
        else (single.replace("''", "'"), False, content[match.end() :])
    )


def _value(rest: str, number: int, lines: list[str], index: int, parent: int) -> tuple[_Tree, int]:
    """A value that starts on this line (after ``key: `` or ``- ``), and the index of its last line (a ``|``
    block takes the lines after)."""
    first = rest[0]
    if first == '"':
        close = rest.find('"', 1)
        if close < 0 or "\\" in rest[1:close]:
            raise _Unsupported
        _tail(rest, close + 1)
        return (rest[1:close], '"', number), index
    if first == "'":
        close = 1
        while True:
            close = rest.find("'", close)
            if close < 0:
                raise _Unsupported
            if rest[close + 1 : close + 2] != "'":
                break
            close += 2
        _tail(rest, close + 1)
        return (rest[1:close].replace("''", "'"), "'", number), index
    if first in "[{":
        node, end = _Flow(rest, number).node(0)
        _tail(rest, end)
        return node, index
    if first == "|":
        return _block(rest, number, lines, index, parent)
    if first in _PLAIN_START and not (first in "-?:" and rest[1:2] not in ("", " ")):
        raise _Unsupported
    cut = rest.find(" #")
    plain = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if ": " in plain or plain.endswith(":"):
        raise _Unsupported
    return (plain, "", number), index


def _block(header: str, number: int, lines: list[str], index: int, parent: int) -> tuple[_Tree, int]:
    """A literal block scalar (``|``, ``|-``, ``|+``): its text, and the index of its last line."""
    chomp = header[1:2] if header[1:2] in ("-", "+") else ""
    _tail(header, 1 + len(chomp))
    body: list[str] = []
    indent = 0
    j = index + 1
    while j < len(lines):
        line = lines[j]
        content = line.lstrip(" ")
        if not content:
            if (indent and len(line) > indent) or (not indent and len(line) > parent + 1):
                raise _Unsupported  # spaces past the indentation on an empty line: content or not
            body.append("")
            j += 1
            continue
        here = len(line) - len(content)
        if not indent:
            if here <= parent:
                break
            indent = here
        elif here < indent:
            if here > parent and content[0] != "#":
                raise _Unsupported  # less indented than the block, more than its parent
            break
        body.append(line[indent:])
        j += 1
    if j == len(lines) and lines[-1] != "":
        raise _Unsupported  # the block runs to the end of a text without a final line break
    kept = len(body)
    while kept and body[kept - 1] == "":
        kept -= 1
    trailing = len(body) - kept - (1 if j == len(lines) else 0)  # the text's final '\n' made one more ''
    text = "\n".join(body[:kept])
    if kept and chomp != "-":
        text += "\n"
    if chomp == "+":
        text += "\n" * max(trailing, 0)
    return (text, "|", number), j - 1


def _tail(text: str, end: int) -> None:
    """After a value on its line only spaces, or spaces and a comment, may follow."""
    rest = text[end:]
    if not rest:
        return
    stripped = rest.lstrip(" ")
    if rest[0] != " " or (stripped and stripped[0] != "#"):
        raise _Unsupported


class _Flow:
    """A flow collection that closes on its line: ``{a: b, c: [d, 'e']}``; keys and items are scalars or
    flow collections, with no ``:`` or ``#`` in a plain scalar."""

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.line = line

    def space(self, at: int) -> int:
        text = self.text
        while at < len(text) and text[at] == " ":
            at += 1
        return at

    def node(self, at: int) -> tuple[_Tree, int]:
        text = self.text
        at = self.space(at)
        if at >= len(text):
            raise _Unsupported
        first = text[at]
        if first == "{":
            return self.collection(at, _Map(self.line), "}")
        if first == "[":
            return self.collection(at, _Seq(self.line), "]")
        if first in "\"'":
            close = text.find(first, at + 1)
            if close < 0 or (first == '"' and "\\" in text[at:close]) or text[close + 1 : close + 2] == first:
                raise _Unsupported
            return (text[at + 1 : close], first, self.line), close + 1
        match = _FLOW_PLAIN.match(text, at)
        if match is None:
            raise _Unsupported
        value = match.group().rstrip(" ")
        return (value, "", self.line), at + len(value)

    def collection(self, at: int, node: _Map | _Seq, close: str) -> tuple[_Tree, int]:
        text = self.text
        at = self.space(at + 1)
        while True:
            if text[at : at + 1] == close:
                return node, at + 1
            item, at = self.node(at)
            at = self.space(at)
            if type(node) is _Map:
                if text[at : at + 2] != ": " or type(item) is not tuple:
                    raise _Unsupported
                key = item[0]
                if (not item[1] and key and _not_text(key)) or key in node:
                    raise _Unsupported
                value, at = self.node(at + 1)
                node[key] = value
                at = self.space(at)
            else:
                if text[at : at + 1] == ":":
                    raise _Unsupported  # a one-pair mapping in a sequence
                assert type(node) is _Seq
                node.append(item)
            following = text[at : at + 1]
            if following == ",":
                at = self.space(at + 1)
            elif following != close:
                raise _Unsupported


# ---------------------------------------------------------------------------------------------------
# the fast path proper: libyaml checks the whole file at C speed; then a document the walker would walk
# whole (anything but an Application, an ApplicationSet or a kustomization) is read only at the lines that
# name ``image``, their places found by indentation: block scalars' text set aside, and given up on at the
# first construct whose lines indentation does not describe (multi-line scalars and flows, anchors, tags)

# (these run on single lines picked by plain substring tests: Python's regexes are slow over whole texts)
_SPECIAL = re.compile(r"(?:^[ ]*|[:\-,\[{][ ]*)[&*!?]")  # an anchor, alias, tag or explicit key where a node starts
_SINGLE_OPEN = re.compile(r"(?:^[ ]*(?:-[ ]+)*|:[ ]+)'(?:[^']|'')*$")  # a single-quoted scalar open at the end
_FLOW_OPEN = re.compile(r"(?:^[ ]*(?:-[ ]+)*|:[ ]+)[\[{]")
_IMAGE_WORD = re.compile(r"image(?![\w.-])")
_ROOT_KEY = re.compile(r"""(?:(kind|apiVersion)|"(kind|apiVersion)"|'(kind|apiVersion)')[ ]*:(?:[ ]+|$)(.*)$""")
_HELM_FIELDS = ("repository", "registry", "tag", "digest", '"', "'")
_ROOT_PREFIXES = ("kind", "apiVersion", '"kind"', '"apiVersion"', "'kind'", "'apiVersion'")


@functools.cache
def _c_parser() -> Any:
    """ruamel's libyaml parser class, or None without the C extension."""
    try:
        from ruamel.yaml import cyaml  # noqa: PLC0415  (optional: the package works without it)
    except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency on CPython
        return None
    return getattr(cyaml, "CParser", None)


def _libyaml_accepts(text: str) -> bool:
    """Whether libyaml parses the whole text (counting events in C: no Python object per node)."""
    parser = _c_parser()
    if parser is None:
        return False
    try:
        parser(text).raw_parse()
    except YAMLError:
        return False
    return True


def _fast_file(walker: _Walker, text: str) -> None:
    """The file's references and Applications, or _Unsupported (nothing recorded that counts then)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if applications.API_GROUP in text and "Application" in text:  # read whole anyway: maybe read already
        whole = _checked_outline(text)
        if whole is not None:
            walker.documents(list(whole))
            return
    if _refused(text) or not _libyaml_accepts(text):
        raise _Refused
    if "*" in text and any(_SPECIAL.search(line) for line in text.split("\n") if "*" in line):
        raise _Refused  # an alias: libyaml's parse does not look for its anchor, composing does
    for index, chunk, first in _chunks(text):
        docs = _Hits(walker, index, chunk, first).run()
        if docs is not None:
            walker.documents(docs)


def _chunks(text: str) -> Iterator[tuple[int, str, int]]:
    """(document index, its text, the file line of its first) for each document, as :func:`_outline` counts."""
    starts = _marks(text)
    first_line = 0
    index = 0
    if not starts or starts[0] != 0:
        head = text[: starts[0]] if starts else text
        if any(s and s[0] != "#" for s in (line.lstrip(" ") for line in head.split("\n"))):
            yield index, head, 1
            index += 1
        first_line = head.count("\n")
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        chunk = text[start:end]
        marker_end = chunk.find("\n")
        after = chunk[3:] if marker_end < 0 else chunk[3:marker_end]
        if after.strip() and not after.lstrip().startswith("#"):
            raise _Unsupported
        yield index, ("" if marker_end < 0 else chunk[marker_end + 1 :]), first_line + 2
        index += 1
        first_line += chunk.count("\n")


def _check(lines: list[str], text: str) -> None:
    """_Unsupported unless indentation alone gives the structure of the lines (block scalars emptied): each a
    key or an item, each scalar and flow on one line; no anchor, alias, tag, explicit or merge key; no escape
    in a double-quoted scalar (it could spell a key)."""
    if "<<" in text:
        raise _Unsupported
    if "&" in text or "*" in text or "!" in text or "?" in text:
        for line in [line for line in lines if "&" in line or "*" in line or "!" in line or "?" in line]:
            if _SPECIAL.search(line):
                raise _Unsupported
    if '"' in text:
        for line in [line for line in lines if '"' in line]:
            if line.count('"') % 2 or "\\" in line:
                raise _Unsupported
    if "'" in text:
        for line in [line for line in lines if "'" in line]:
            if _SINGLE_OPEN.search(line):
                raise _Unsupported
    if "[" in text or "{" in text:
        for line in [line for line in lines if "[" in line or "{" in line]:
            if line.lstrip(" ")[:1] in ("[", "{"):
                raise _Unsupported  # a flow on a line of its own: the value of the key above
            if _FLOW_OPEN.search(line):
                tail = line.rstrip(" ")
                if " #" in tail and tail[-1] not in "]}":
                    tail = tail[: tail.index(" #")].rstrip(" ")
                if tail[-1:] not in ("]", "}") or line.count("[") + line.count("{") != line.count("]") + line.count(
                    "}"
                ):
                    raise _Unsupported  # a flow that may go on to the next line
    for i, line in [
        (i, line) for i, line in enumerate(lines) if (": " not in line and line[-1:] != ":") or " #" in line
    ]:
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue
        if " #" in content:
            content = content[: content.index(" #")].rstrip(" ")
            if ": " in content or content[-1:] == ":":
                continue
        if not _is_dash(content):
            raise _Unsupported  # neither key nor item: a scalar going on from the line before
        indent = len(line) - len(line.lstrip(" "))
        k = i - 1
        while k >= 0 and lines[k].lstrip(" ")[:1] in ("", "#"):
            k -= 1
        if k >= 0:
            above = lines[k]
            stripped = above.split(" #", 1)[0].rstrip(" ")
            if len(above) - len(above.lstrip(" ")) < indent and stripped[-1:] != ":":
                raise _Unsupported  # '- ' going on a scalar of the line before


def _is_dash(content: str) -> bool:
    return content[0] == "-" and (len(content) == 1 or content[1] == " ")


class _Hits:
    """One document (valid YAML, libyaml says): walked whole by the line reader when the walker would need
    all of it, else read at its ``image`` lines only."""

    def __init__(self, walker: _Walker, index: int, text: str, first: int) -> None:
        self.walker = walker
        self.index = index
        self.text = text
        self.lines = text.split("\n")
        self.first = first
        self.mappings: dict[tuple[int, int], _Steps] = {}
        self.items: dict[int, tuple[_Steps, int]] = {}
        self.parsed: dict[int, tuple[int, bool, int, str | None, str]] = {}
        self.seen: set[_Steps] = set()

    def run(self) -> list[_Doc] | None:
        """The document for the walker, when it needs the whole tree; None when its references are recorded."""
        lines = self.lines
        first = next((line for line in lines if line.lstrip(" ")[:1] not in ("", "#")), None)
        if first is None:
            return [_Doc(self.index, ("", "", self.first - 1), None)]  # an empty document
        if first[0] in " -{[":
            return self.whole()  # an indented root, a list, a flow or JSON: read whole
        roots: dict[str, tuple[int, str]] = {}
        text = "\n" + self.text
        for prefix in _ROOT_PREFIXES:
            at = text.find("\n" + prefix)
            while at >= 0:
                end = text.find("\n", at + 1)
                m = _ROOT_KEY.match(text, at + 1, len(text) if end < 0 else end)
                if m is not None:
                    name = m.group(1) or m.group(2) or m.group(3)
                    if name not in roots or roots[name][0] > at:
                        roots[name] = (at, m.group(4))
                    break
                at = text.find("\n" + prefix, at + 1)
        kind = self.scalar(roots["kind"][1]) if "kind" in roots else None
        api = (self.scalar(roots["apiVersion"][1]) if "apiVersion" in roots else None) or ""
        if (
            kind in ("Kustomization", "Application", "ApplicationSet")
            or api.startswith("kustomize.config.k8s.io")
            or (kind is None and self.walker.basename in _KUSTOMIZATION_NAMES)
        ):
            return self.whole()
        text = self.text
        hides = _hides(text)
        if "image" not in text and not hides:
            return None  # nothing can name an image here (an escape might: _check refuses those)
        hits = [j for j, line in enumerate(lines) if "image" in line]
        if "|" in text or ">" in text:
            self.blank()
            hits = [j for j in hits if lines[j]]
        hits = [j for j in hits if _IMAGE_WORD.search(lines[j])]
        if not hides and (not hits or ("repository" not in text and all(self.schema(j) for j in hits))):
            return None
        _check(lines, text)
        self.walker.doc = self.index
        for j in hits:
            self.hit(j)
        return None

    def whole(self) -> list[_Doc]:
        root = _read(self.lines, self.first)
        return [_Doc(self.index, ("", "", self.first - 1) if root is None else root, None)]

    def scalar(self, rest: str) -> str | None:
        if not rest or rest[0] == "#" or rest[0] in "[{|>":
            raise _Unsupported  # the root's kind as a block, a flow, or on the next line
        value, _ = _value(rest, 0, [], 0, 0)
        assert isinstance(value, tuple)
        return value[0]

    def schema(self, j: int) -> bool:
        """Whether line ``j`` is ``image:`` over a block mapping or list (a CRD's schema of an image field):
        with no ``repository`` key anywhere that is no reference."""
        _, _, column, key, rest = self.parse(j)
        if key != "image" or (rest and rest[0] != "#"):
            return False
        lines = self.lines
        for k in range(j + 1, len(lines)):
            content = lines[k].lstrip(" ")
            if content and content[0] != "#":
                indent, dash, _, below, _ = self.parse(k)
                return dash or below is not None or indent <= column
        return True

    def blank(self) -> None:
        """Empty the lines of block scalars (their text is no structure)."""
        lines = self.lines
        j = 0
        count = len(lines)
        while j < count:
            line = lines[j]
            j += 1
            if "|" not in line and ">" not in line:
                continue
            parent = self.block_parent(line)
            if parent is None:
                continue
            while j < count:
                below = lines[j]
                content = below.lstrip(" ")
                if content and len(below) - len(content) <= parent:
                    break
                lines[j] = ""
                j += 1

    def block_parent(self, line: str) -> int | None:
        """The indentation a block scalar's lines must pass, when the line starts one (else None)."""
        content = line.lstrip(" ")
        column = len(line) - len(content)
        if content[:1] in ("|", ">"):
            return None
        while content and _is_dash(content):
            rest = content[1:].lstrip(" ")
            if rest[:1] in ("|", ">"):
                return column
            column += len(content) - len(rest)
            content = rest
        match = _KEY.match(content)
        if match is None:
            return None
        rest = content[match.end() :]
        return column if rest[:1] in ("|", ">") else None

    # one line

    def parse(self, j: int) -> tuple[int, bool, int, str | None, str]:
        """(indentation, whether it is an item, the column of its content, its key or None, what follows)."""
        known = self.parsed.get(j)
        if known is not None:
            return known
        line = self.lines[j]
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        dash = _is_dash(content)
        column = indent
        if dash:
            rest = content[1:].lstrip(" ")
            column += len(content) - len(rest)
            content = rest
        split = _split_key(content) if content else None
        if split is None:
            parsed: tuple[int, bool, int, str | None, str] = (indent, dash, column, None, content)
        else:
            key, plain, rest = split
            if plain and _not_text(key):
                raise _Unsupported
            parsed = (indent, dash, column, key, rest)
        self.parsed[j] = parsed
        return parsed

    def before(self, j: int, below: int) -> int:
        """The nearest line above ``j`` with content indented less than ``below``, or a sibling key of the
        mapping at ``below`` whose steps are known (-1: none)."""
        if not below:
            return -1
        lines = self.lines
        mappings = self.mappings
        pad = " " * below
        k = j - 1
        while k >= 0:
            line = lines[k]
            if not line.startswith(pad):  # indented less (or empty)
                content = line.lstrip(" ")
                if content and content[0] != "#":
                    return k
            elif (k, below) in mappings and line[below : below + 1] not in ("", " ", "#", "-"):
                return k  # a sibling key whose mapping is known
            k -= 1
        return -1

    def mapping(self, j: int, column: int) -> _Steps:
        """The steps to the mapping whose keys are at ``column``, one of them on (or above) line ``j``."""
        memo = self.mappings.get((j, column))
        if memo is not None:
            return memo
        indent, dash, content, _, _ = self.parse(j)
        if dash and content == column:
            seq, index = self.item(j, indent)
            steps: _Steps = (*seq, index)
        else:
            k = self.before(j, column)
            if k < 0:
                if column:
                    raise _Unsupported
                steps = ()
            elif (k, column) in self.mappings:
                steps = self.mappings[(k, column)]  # a sibling's
            else:
                k_indent, k_dash, k_content, key, rest = self.parse(k)
                if k_dash and k_content == column:
                    seq, index = self.item(k, k_indent)
                    steps = (*seq, index)
                elif key is None or (rest and rest[0] != "#") or k_content >= column:
                    raise _Unsupported
                else:
                    steps = (*self.mapping(k, k_content), key)
        self.mappings[(j, column)] = steps
        return steps

    def item(self, j: int, column: int) -> tuple[_Steps, int]:
        """The steps to the list whose ``- `` are at ``column``, and the index of the item on line ``j``."""
        memo = self.items.get(j)
        if memo is not None:
            return memo
        lines = self.lines
        count = 0
        k = j - 1
        found: tuple[_Steps, int] | None = None
        pad = " " * column
        while k >= 0:
            line = lines[k]
            if not line.startswith(pad):  # indented less (or empty)
                content = line.lstrip(" ")
                if content and content[0] != "#":
                    break
            else:
                first = line[column : column + 1]
                if first not in ("", " ", "#"):  # indented exactly so
                    if not _is_dash(line[column:]):
                        break
                    known = self.items.get(k)
                    if known is not None:
                        found = (known[0], known[1] + 1 + count)
                        break
                    count += 1
            k -= 1
        if found is None:
            if k < 0:
                raise _Unsupported  # a list at the root
            _, _, k_content, key, rest = self.parse(k)
            if key is None or (rest and rest[0] != "#") or k_content > column:
                raise _Unsupported
            found = ((*self.mapping(k, k_content), key), count)
        self.items[j] = found
        return found

    # what a line naming image holds

    def hit(self, j: int) -> None:
        indent, dash, column, key, rest = self.parse(j)
        number = self.first + j
        walker = self.walker
        if key is None:
            if dash and rest[:1] in ("[", "{"):
                seq, index = self.item(j, indent)
                self.flow(rest, number, (*seq, index))
            return
        if key == "path" and "/image" in rest:
            raise _Unsupported  # a JSON patch operation in a manifest: the line reader reads those
        if key != "image":
            if rest[:1] in ("[", "{"):
                self.flow(rest, number, (*self.mapping(j, column), key))
            return
        steps = self.mapping(j, column)
        if "image" in steps:
            return  # inside the value of an image key: the editor does not look there
        if steps in self.seen:
            raise _Unsupported  # two image keys in one mapping: the first counts; the parser's tree knows which
        self.seen.add(steps)
        if not rest or rest[0] == "#":
            mapping = self.children(j, column)
            if mapping is not None:
                walker.helm_image(mapping, (*steps, "image"), "", 0)
            return
        if rest[0] in "|>":
            raise _Unsupported
        value, _ = _value(rest, number, [], 0, column)
        if isinstance(value, _Map):
            walker.helm_image(value, (*steps, "image"), "", 0)
        elif isinstance(value, tuple):
            ref = _image(value[0])
            if ref is not None:
                in_list = len(steps) >= 2 and isinstance(steps[-1], int) and steps[-2] in _CONTAINER_LISTS
                form = Form.CONTAINER if in_list else Form.VALUE
                walker.record(number, (*steps, "image"), "", value[0], ref, form)

    def flow(self, rest: str, number: int, steps: _Steps) -> None:
        if "image" in steps:
            return
        node, end = _Flow(rest, number).node(0)
        _tail(rest, end)
        if not isinstance(node, tuple):
            self.walker.walk(node, steps, "", 0)

    def children(self, j: int, column: int) -> _Map | None:
        """The scalar fields of the block mapping under ``image:`` on line ``j`` (None: it is no mapping)."""
        lines = self.lines
        k = j + 1
        child = -1
        mapping: _Map | None = None
        while k < len(lines):
            line = lines[k]
            content = line.lstrip(" ")
            if content and content[0] != "#":
                indent = len(line) - len(content)
                if child < 0:
                    if indent <= column or _is_dash(content):
                        return None  # null, or a list
                    child = indent
                    mapping = _Map(self.first + k)
                if indent < child:
                    break
                if (
                    indent == child
                    and not content.startswith(_HELM_FIELDS)
                    and ": " not in content
                    and (content[-1] != ":" or content[0] in "{[")
                ):
                    raise _Unsupported  # not a key: the parser knows what it is
                if indent == child and content.startswith(_HELM_FIELDS):
                    _, dash, _, key, rest = self.parse(k)
                    if dash or key is None:
                        raise _Unsupported
                    assert mapping is not None
                    if key in _HELM_FIELDS[:4] and key not in mapping:
                        if rest and rest[0] != "#":
                            if rest[0] in "|>":
                                raise _Unsupported
                            mapping[key], _ = _value(rest, self.first + k, [], 0, child)
                        else:
                            nested = self.next_indent(k)
                            if nested <= child:
                                mapping[key] = ("", "", self.first + k)
            k += 1
        return mapping

    def next_indent(self, j: int) -> int:
        """The indentation of the next line with content (-1: none)."""
        lines = self.lines
        for k in range(j + 1, len(lines)):
            content = lines[k].lstrip(" ")
            if content and content[0] != "#":
                return len(lines[k]) - len(content)
        return -1
