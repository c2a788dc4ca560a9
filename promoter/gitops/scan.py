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
3. a document the walker would walk whole is read at its lines that name ``image`` only (:mod:`.imagelines`), its path
   worked out from the indentation above it: after checking, with substring tests, that indentation does
   describe the text (every line a key or a ``- `` item, scalars and flows on one line, no anchor, alias,
   tag, explicit or merge key, no escape; block scalars' lines set aside). Applications, ApplicationSets
   and kustomizations, whose walk (and plain data) needs all of them, are read by a line reader for the
   same subset (:mod:`.linereader`), which builds the tree (:mod:`.yamltree`); both give up on anything else;
4. a file they gave up on is parsed as the slow path parses every file: by libyaml, and by ruamel's
   pure-Python parser where libyaml refuses or where the editor would use it (TABs, a BOM).

The images come in file order, then document, line and path order.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Iterable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from promoter.gitops import manifests
from promoter.gitops.imagelines import fast_file
from promoter.gitops.linereader import checked_outline, libyaml_accepts, may_hide_letters, outline, refused_text
from promoter.gitops.yamltree import (
    Broken,
    Doc,
    Map,
    Refused,
    Scalar,
    Seq,
    Steps,
    Tree,
    Unsupported,
    c_yaml,
    plain_data,
    scalar_text,
)
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
    for cached in (_image, _render, checked_outline):
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
    for reading in (fast_file, _outlined) if fast else ():
        local = _Found()
        try:
            reading(Walker(local, file, fast), text)
        except Refused:
            break  # libyaml refuses it: the parser has the last word
        except Unsupported:
            continue
        return local
    local = _Found()
    try:
        _parsed(Walker(local, file, fast=False), text)
    except Broken as exc:
        return _Found(problems=[Problem(file, exc.line, exc.reason)] if matters else [])
    return local


def _outlined(walker: Walker, text: str) -> None:
    walker.documents(outline(text))


def _parsed(walker: Walker, text: str) -> None:
    walker.fast = False
    walker.nodes(_compose(text), 0)


def _matters(text: str) -> bool:
    """Whether a file can hold a reference or an Application: every one spells ``image`` or ``Application``,
    or hides it in a double-quoted escape (``"\\x69mage"``)."""
    return "image" in text or "Application" in text or may_hide_letters(text)


# ---------------------------------------------------------------------------------------------------
# the parser (the slow path, and the fast path's fallback): as the editor composes a file


def _strict_yaml() -> YAML:
    return YAML(typ="rt", pure=True)


def _compose(text: str) -> list[Node | None]:
    """Every document's root, composed as the editor does: libyaml's parser unless the text holds a TAB or a
    BOM (the pure parser judges those), and the pure parser where libyaml refuses; Broken if neither takes it."""
    if "\t" not in text and "\ufeff" not in text:
        try:
            return list(c_yaml().compose_all(text))
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
        raise Broken(None if mark is None else mark.line + 1, reason) from None
    except YAMLError as exc:
        raise Broken(None, f"not valid YAML: {exc}") from None


def _tree(node: Node, offset: int, seen: frozenset[int] = frozenset()) -> Tree:
    """A composed node as the walker's tree; ``offset`` is added to the lines."""
    line = node.start_mark.line + 1 + offset
    if isinstance(node, ScalarNode):
        return (node.value, node.style or "", line)
    if id(node) in seen:
        raise Broken(line, "an alias refers to a node that contains it (a recursive structure)")
    inner = seen | {id(node)}
    if isinstance(node, MappingNode):
        mapping = Map(line)
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                value = _tree(v, offset, inner)
                if k.value in mapping:
                    mapping.dups.append((k.value, value))
                else:
                    mapping[k.value] = value
        return mapping
    assert isinstance(node, SequenceNode)
    seq = Seq(line)
    seq.extend(_tree(item, offset, inner) for item in node.value)
    return seq


def _construct(node: Node) -> Any:
    """The plain data of a composed document, as :func:`manifests.load_documents` gives it."""
    try:
        return manifests.plain(c_yaml().constructor.construct_document(node))  # (a failed one leaves state)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise Broken(None if mark is None else mark.line + 1, f"invalid YAML: {manifests.describe(exc)}") from None
    except TypeError:  # ruamel's constructor on a key that is a mapping or a list
        raise Broken(node.start_mark.line + 1, "a mapping key that is a mapping or a list") from None


# ---------------------------------------------------------------------------------------------------
# the walk: the editor's rules (imageedit._Finder) over every reference, not only one image's


class Walker:
    def __init__(self, found: _Found, file: str, fast: bool) -> None:
        self.found = found
        self.file = file
        self.basename = file.rsplit("/", 1)[-1]
        self.fast = fast
        self.doc = 0

    def nodes(self, roots: list[Node | None], offset: int) -> None:
        self.documents([Doc(i, None if root is None else _tree(root, offset), root) for i, root in enumerate(roots)])

    def documents(self, docs: list[Doc]) -> None:
        for doc in docs:
            root = doc.root
            if type(root) is not Map:
                continue
            self.doc = doc.index
            kind = scalar_text(root, "kind")
            api = scalar_text(root, "apiVersion") or ""
            if self.is_kustomization(kind, api):
                self.kustomization(root)
            elif kind == "Application" and api.startswith("argoproj.io/"):
                self.application(root)
            else:
                self.walk(root, (), "", 0)
            if kind in ("Application", "ApplicationSet") and api.startswith("argoproj.io/"):
                data = _construct(doc.node) if doc.node is not None else plain_data(root)
                self.found.applications.append(FoundDoc(self.file, doc.index, root.line, Kind(kind), data))

    def is_kustomization(self, kind: str | None, api: str) -> bool:
        """Whether a document of the file is a kustomization (by its kind, group, or the file's name)."""
        return (
            kind == "Kustomization"
            or api.startswith("kustomize.config.k8s.io")
            or (kind is None and self.basename in _KUSTOMIZATION_NAMES)
        )

    def image_string(self, line: int, steps: Steps, prefix: str, written: str) -> None:
        """An ``image:`` string at ``steps`` (ending in ``image``): a container's, or any other value's."""
        ref = _image(written)
        if ref is not None:
            in_list = len(steps) >= 3 and type(steps[-2]) is int and steps[-3] in _CONTAINER_LISTS
            self.record(line, steps, prefix, written, ref, Form.CONTAINER if in_list else Form.VALUE)

    def record(
        self,
        line: int,
        steps: Steps,
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

    def walk(self, node: Map | Seq, steps: Steps, prefix: str, offset: int) -> None:
        if type(node) is Seq:
            for i, item in enumerate(node):
                if not isinstance(item, tuple):
                    self.walk(item, (*steps, i), prefix, offset)
            return
        assert type(node) is Map
        image = node.get("image")
        if image is not None:
            if type(image) is tuple:
                self.image_string(image[2] + offset, (*steps, "image"), prefix, image[0])
            elif type(image) is Map:
                self.helm_image(image, (*steps, "image"), prefix, offset)
        if (
            "op" in node
            and scalar_text(node, "op") in ("add", "replace")
            and (scalar_text(node, "path") or "").endswith("/image")
        ):
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

    def helm_image(self, image: Map, steps: Steps, prefix: str, offset: int) -> None:
        repository = scalar_text(image, "repository")
        if repository is None:
            return
        registry = scalar_text(image, "registry")
        ref = _image(f"{registry}/{repository}" if registry else repository)
        if ref is None:
            return
        ref = images.ImageRef(
            ref.name, scalar_text(image, "tag") or ref.tag, scalar_text(image, "digest") or ref.digest
        )
        self.record(image.line + offset, steps, prefix, str(ref), ref, Form.HELM)

    # kustomize

    def kustomization(self, root: Map) -> None:
        entries = root.get("images")
        if type(entries) is Seq:
            for i, entry in enumerate(entries):
                if type(entry) is Map:
                    self.kustomize_entry(entry, ("images", i))
        for key in _PATCH_KEYS:
            patches = root.get(key)
            if type(patches) is not Seq:
                continue
            for i, patch in enumerate(patches):
                if type(patch) is tuple and patch[1] == "|":
                    self.inside_block(patch, (key, i))
                elif type(patch) is Map:
                    inline = patch.get("patch")
                    if type(inline) is tuple and inline[1] == "|":
                        self.inside_block(inline, (key, i, "patch"))

    def kustomize_entry(self, entry: Map, steps: Steps) -> None:
        name, new_name = scalar_text(entry, "name"), scalar_text(entry, "newName")
        named = _image(name) if name else None
        renamed = _image(new_name) if new_name else None
        ref = renamed or named
        if ref is None:
            return  # the editor matches an entry by its name or newName
        tag, digest = scalar_text(entry, "newTag"), scalar_text(entry, "digest")
        ref = images.ImageRef(ref.name, tag or ref.tag, digest or ref.digest)
        overrides = name if renamed is not None and name else None
        self.record(entry.line, steps, "", str(ref), ref, Form.KUSTOMIZE, overrides)

    def inside_block(self, block: Scalar, steps: Steps) -> None:
        """The YAML inside a ``|`` block scalar (an inline patch, inline Helm values), as the editor walks it."""
        text, _, line = block
        docs: list[Doc] | None = None
        if self.fast and not refused_text(text) and libyaml_accepts(text):
            try:
                docs = outline(text)  # (it reads only what libyaml parses: it checks no character)
            except Unsupported:
                docs = None
        if docs is None:
            try:
                composed = _compose(text)
            except Broken:
                return  # not YAML inside: not an image reference either
            docs = [Doc(i, None if r is None else _tree(r, 0), r) for i, r in enumerate(composed)]
        if len(docs) > 1:
            self.found.problems.append(
                Problem(self.file, line, "several YAML documents inside one block scalar: not read")
            )
            return
        for doc in docs:
            if type(doc.root) is Map or type(doc.root) is Seq:
                self.walk(doc.root, (), _render(steps) + "|", line)  # its text starts on the line after '|'

    # Argo CD Application

    def application(self, root: Map) -> None:
        spec = root.get("spec")
        if type(spec) is not Map:
            return
        for steps, source in _sources(spec):
            kustomize = source.get("kustomize")
            if type(kustomize) is Map:
                listed = kustomize.get("images")
                if type(listed) is Seq:
                    for i, item in enumerate(listed):
                        if type(item) is tuple:
                            self.argocd_kustomize_image(item, ("spec", *steps, "kustomize", "images", i))
            helm = source.get("helm")
            if type(helm) is Map:
                values = helm.get("values")
                if type(values) is tuple and values[1] == "|":
                    self.inside_block(values, ("spec", *steps, "helm", "values"))
                values_object = helm.get("valuesObject")
                if type(values_object) is Map or type(values_object) is Seq:
                    self.walk(values_object, ("spec", *steps, "helm", "valuesObject"), "", 0)
                parameters = helm.get("parameters")
                if type(parameters) is Seq:
                    self.helm_parameters(parameters, ("spec", *steps, "helm", "parameters"))

    def argocd_kustomize_image(self, item: Scalar, steps: Steps) -> None:
        original, equals, replacement = item[0].partition("=")
        ref = _image(replacement if equals else original)
        if ref is None or (equals and _image(original) is None):
            return
        self.record(item[2], steps, "", item[0], ref, Form.ARGOCD_KUSTOMIZE, original if equals else None)

    def helm_parameters(self, parameters: Seq, steps: Steps) -> None:
        named: dict[str, tuple[int, Map]] = {}
        for i, item in enumerate(parameters):
            if type(item) is Map:
                name = scalar_text(item, "name")
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
            tag = scalar_text(tag_param[1], "value")
            ref = images.ImageRef(ref.name, tag or ref.tag, ref.digest)
            self.record(value[2], (*steps, i, "value"), "", str(ref), ref, Form.HELM_PARAMETERS)


def _sources(spec: Map) -> Iterator[tuple[Steps, Map]]:
    single = spec.get("source")
    if type(single) is Map:
        yield ("source",), single
    many = spec.get("sources")
    if type(many) is Seq:
        for i, item in enumerate(many):
            if type(item) is Map:
                yield ("sources", i), item


@functools.lru_cache(maxsize=8192)
def _image(text: str) -> images.ImageRef | None:
    return images.parse(text)  # (the same references come back in every environment's files)


@functools.lru_cache(maxsize=8192)
def _render(steps: Steps) -> str:
    return paths.render(tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps))
