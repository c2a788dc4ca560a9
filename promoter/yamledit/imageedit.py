"""``edit image``: set the tag or digest of every reference to one image repository in a file.

References found:
- ``image:`` strings anywhere (containers and initContainers of any pod template, Helm values
  ``image: repo:tag``), narrowed to one container with ``container``;
- Helm values mappings ``image: {repository, tag}`` (with an optional ``registry``, and ``digest``);
- kustomization ``images:`` entries (``newTag``, ``newName``, ``digest``); an image without an entry
  gets one appended, and the ``images:`` block is created when missing;
- kustomize inline patches (strategic-merge and JSON6902) and Argo CD Applications
  (``spec.source[s].kustomize.images``, ``helm.values`` inline, ``helm.valuesObject``, ``helm.parameters``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from promoter.yamledit import editor, inserts, paths
from promoter.yamledit.errors import EditError
from promoter.yamledit.images import ImageRef, same_repository
from promoter.yamledit.images import parse as parse_image
from promoter.yamledit.locate import Step
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import Expectation

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclasses.dataclass(frozen=True)
class Request:
    image: ImageRef
    container: str | None = None


def parse_request(text: str, container: str | None = None) -> Request:
    ref = parse_image(text)
    if ref is None:
        raise EditError(f"{text!r} is not an image reference (IMAGE[:TAG|@DIGEST])")
    if ref.tag is None and ref.digest is None:
        raise EditError(f"{text!r} names no tag or digest: give IMAGE:TAG or IMAGE@DIGEST")
    return Request(ref, container)


def apply(text: str, request: Request, filename: str = "", doc: int | None = None) -> str:
    """The text with every reference to the image updated (in document ``doc`` only, when given);
    EditError if there is none."""
    source = Source(text)
    found = _Finder(source, request, filename.rsplit("/", 1)[-1], doc)
    edits, splices, expectations = found.run()
    if not edits and not splices:
        if found.matches:
            return text  # every reference already says this version
        scope = f" in container {request.container!r}" if request.container else ""
        scope += f" in document {doc}" if doc is not None else ""
        raise EditError(f"no reference to the image {request.image.name}{scope}")
    planned = editor.plan(source, edits)
    return editor.commit(
        source,
        editor.Plan(planned.splices + tuple(splices), planned.expectations + tuple(expectations)),
    )


def _key(mapping: MappingNode, name: str) -> Node | None:
    for k, v in mapping.value:
        if isinstance(k, ScalarNode) and k.value == name:
            return v  # type: ignore[no-any-return]
    return None


def _text(mapping: MappingNode, name: str) -> str | None:
    node = _key(mapping, name)
    return node.value if isinstance(node, ScalarNode) and isinstance(node.value, str) else None


def _path(steps: tuple[Step, ...]) -> tuple[paths.Segment, ...]:
    return tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps)


class _Finder:
    """Walks every document once and collects the edits and insertions."""

    def __init__(self, source: Source, request: Request, basename: str, doc: int | None = None) -> None:
        self.source = source
        self.request = request
        self.basename = basename
        self.doc = doc
        self.edits: list[editor.Edit] = []
        self.splices: list[editor.Splice] = []
        self.expectations: list[Expectation] = []
        self.matches = 0

    def run(self) -> tuple[list[editor.Edit], list[editor.Splice], list[Expectation]]:
        for quick in self.source.quick_documents():
            root = quick.root
            if not isinstance(root, MappingNode) or (self.doc is not None and quick.index != self.doc):
                continue
            kind = _text(root, "kind")
            api = _text(root, "apiVersion") or ""
            if (
                kind == "Kustomization"
                or api.startswith("kustomize.config.k8s.io")
                or (kind is None and self.basename in _KUSTOMIZATION_NAMES)
            ):
                self._kustomization(quick.index, root)
            elif kind == "Application" and api.startswith("argoproj.io/"):
                self._application(quick.index, root)
            else:
                self._walk(quick.index, root, (), ())
        return self.edits, self.splices, self.expectations

    # recording -------------------------------------------------------------------------------

    def _set(self, doc: int, prefix: tuple[paths.Segment, ...], steps: tuple[Step, ...], value: str) -> None:
        self.matches += 1
        self.edits.append(editor.Edit((*prefix, *_path(steps)), value, doc=doc))

    def _strict(self, doc: int) -> Document:
        return self.source.document(doc)

    # generic walk: containers, Helm values, JSON6902 operations ------------------------------

    def _walk(self, doc: int, node: Node, steps: tuple[Step, ...], prefix: tuple[paths.Segment, ...]) -> None:
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(doc, item, (*steps, i), prefix)
            return
        if not isinstance(node, MappingNode):
            return
        in_container_list = len(steps) >= 2 and isinstance(steps[-1], int) and steps[-2] in _CONTAINER_LISTS
        wanted = self.request.container
        image = _key(node, "image")
        if isinstance(image, ScalarNode) and (wanted is None or (in_container_list and _text(node, "name") == wanted)):
            self._reference(doc, image, (*steps, "image"), prefix)
        elif isinstance(image, MappingNode) and wanted is None:
            self._helm_image(doc, image, (*steps, "image"), prefix)
        if (
            wanted is None
            and _text(node, "op") in ("add", "replace")
            and (_text(node, "path") or "").endswith("/image")
        ):
            value = _key(node, "value")
            if isinstance(value, ScalarNode):
                self._reference(doc, value, (*steps, "value"), prefix)
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value != "image":
                self._walk(doc, v, (*steps, k.value), prefix)

    def _reference(
        self, doc: int, node: ScalarNode, steps: tuple[Step, ...], prefix: tuple[paths.Segment, ...]
    ) -> None:
        ref = parse_image(node.value) if isinstance(node.value, str) else None
        if ref is None or not same_repository(ref, self.request.image):
            return
        self._set(doc, prefix, steps, str(ref.with_version(self.request.image)))

    def _helm_image(
        self, doc: int, image: MappingNode, steps: tuple[Step, ...], prefix: tuple[paths.Segment, ...]
    ) -> None:
        repository = _text(image, "repository")
        if repository is None:
            return
        registry = _text(image, "registry")
        full = f"{registry}/{repository}" if registry else repository
        ref = parse_image(full)
        if ref is None or not same_repository(ref, self.request.image):
            return
        wanted = self.request.image
        if wanted.tag is not None:
            self._set_or_add(doc, image, steps, prefix, "tag", wanted.tag)
        if wanted.digest is not None:
            if _key(image, "digest") is None and wanted.tag is None:
                raise self.source.error(
                    f"the Helm values image at {paths.render(_path(steps))} has no 'digest' field; give a tag",
                    self._strict(doc).span(image)[0] if not prefix else None,
                )
            if _key(image, "digest") is not None:
                self._set(doc, prefix, (*steps, "digest"), wanted.digest)

    def _set_or_add(
        self,
        doc: int,
        mapping: MappingNode,
        steps: tuple[Step, ...],
        prefix: tuple[paths.Segment, ...],
        key: str,
        value: str,
    ) -> None:
        if _key(mapping, key) is not None:
            self._set(doc, prefix, (*steps, key), value)
            return
        if prefix:
            raise self.source.error(f"{paths.render(_path(steps))} inside a block scalar has no {key!r} to set")
        strict = self._strict(doc)
        node = _resolve_strict(strict, steps)
        assert isinstance(node, MappingNode)
        self.matches += 1
        splice, expectation = inserts.add_key(self.source, strict, node, steps, key, value)
        self.splices.append(splice)
        self.expectations.append(expectation)

    # kustomize -------------------------------------------------------------------------------

    def _kustomization(self, doc: int, root: MappingNode) -> None:
        images = _key(root, "images")
        if self.request.container is None:
            hit = False
            if isinstance(images, SequenceNode):
                for i, entry in enumerate(images.value):
                    if isinstance(entry, MappingNode) and self._kustomize_entry_matches(entry):
                        hit = True
                        self._kustomize_entry(doc, entry, ("images", i))
            if not hit:
                self._add_kustomize_entry(doc, images)
        for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            patches = _key(root, key)
            if not isinstance(patches, SequenceNode):
                continue
            for i, patch in enumerate(patches.value):
                if isinstance(patch, ScalarNode) and patch.style == "|":
                    self._inside_block(doc, patch, (key, i))
                elif isinstance(patch, MappingNode):
                    inline = _key(patch, "patch")
                    if isinstance(inline, ScalarNode) and inline.style == "|":
                        self._inside_block(doc, inline, (key, i, "patch"))

    def _kustomize_entry_matches(self, entry: MappingNode) -> bool:
        for field in ("name", "newName"):
            text = _text(entry, field)
            ref = parse_image(text) if text else None
            if ref is not None and same_repository(ref, self.request.image):
                return True
        return False

    def _kustomize_entry(self, doc: int, entry: MappingNode, steps: tuple[Step, ...]) -> None:
        wanted = self.request.image
        if wanted.tag is not None:
            self._set_or_add(doc, entry, steps, (), "newTag", wanted.tag)
        if wanted.digest is not None:
            self._set_or_add(doc, entry, steps, (), "digest", wanted.digest)

    def _add_kustomize_entry(self, doc: int, images: Node | None) -> None:
        wanted = self.request.image
        fields = {"name": wanted.name}
        if wanted.tag is not None:
            fields["newTag"] = wanted.tag
        if wanted.digest is not None:
            fields["digest"] = wanted.digest
        strict = self._strict(doc)
        root = strict.root
        assert isinstance(root, MappingNode)
        self.matches += 1
        if images is None:
            splice, expectation = inserts.add_key(self.source, strict, root, (), "images", [fields])
        else:
            node = _key(root, "images")
            if not isinstance(node, SequenceNode):
                raise self.source.error("the kustomization's 'images' is not a list", strict.span(root)[0])
            splice, expectation = inserts.append_item(self.source, strict, node, ("images",), fields)
        self.splices.append(splice)
        self.expectations.append(expectation)

    def _inside_block(self, doc: int, block: ScalarNode, steps: tuple[Step, ...]) -> None:
        """Walk the YAML inside a block scalar; its edits get paths through '|'."""
        try:
            inner = Source(block.value)
            documents = list(inner.quick_documents())
        except EditError:
            return  # not YAML inside: not an image reference either
        prefix = (*_path(steps), paths.Descend())
        for inner_doc in documents:
            if inner_doc.root is not None:
                if inner.count > 1:
                    raise self.source.error("several YAML documents inside one block scalar: edit them with 'edit set'")
                self._walk(doc, inner_doc.root, (), prefix)

    # Argo CD Application ---------------------------------------------------------------------

    def _application(self, doc: int, root: MappingNode) -> None:
        spec = _key(root, "spec")
        if not isinstance(spec, MappingNode):
            return
        for steps, source in _application_sources(spec):
            kustomize = _key(source, "kustomize")
            if isinstance(kustomize, MappingNode) and self.request.container is None:
                images = _key(kustomize, "images")
                if isinstance(images, SequenceNode):
                    for i, item in enumerate(images.value):
                        if isinstance(item, ScalarNode):
                            self._argocd_kustomize_image(doc, item, ("spec", *steps, "kustomize", "images", i))
            helm = _key(source, "helm")
            if isinstance(helm, MappingNode):
                values = _key(helm, "values")
                if isinstance(values, ScalarNode) and values.style == "|":
                    self._inside_block(doc, values, ("spec", *steps, "helm", "values"))
                values_object = _key(helm, "valuesObject")
                if values_object is not None:
                    self._walk(doc, values_object, ("spec", *steps, "helm", "valuesObject"), ())
                parameters = _key(helm, "parameters")
                if isinstance(parameters, SequenceNode) and self.request.container is None:
                    self._helm_parameters(doc, parameters, ("spec", *steps, "helm", "parameters"))

    def _argocd_kustomize_image(self, doc: int, item: ScalarNode, steps: tuple[Step, ...]) -> None:
        """``name=new/name:tag`` or ``name:tag`` (Argo CD's kustomize image override syntax)."""
        text: str = item.value
        original, equals, replacement = text.partition("=")
        target = replacement if equals else original
        ref = parse_image(target)
        original_ref = parse_image(original) if equals else ref
        if ref is None or original_ref is None:
            return
        if not (same_repository(ref, self.request.image) or same_repository(original_ref, self.request.image)):
            return
        new = str(ref.with_version(self.request.image))
        self._set(doc, (), steps, f"{original}={new}" if equals else new)

    def _helm_parameters(self, doc: int, parameters: SequenceNode, steps: tuple[Step, ...]) -> None:
        named = {}
        for i, item in enumerate(parameters.value):
            if isinstance(item, MappingNode):
                name = _text(item, "name")
                if name:
                    named[name] = (i, item)
        for name, (_, item) in named.items():
            if not name.endswith("repository"):
                continue
            ref = parse_image(_text(item, "value") or "")
            if ref is None or not same_repository(ref, self.request.image):
                continue
            tag_name = name.removesuffix("repository") + "tag"
            if tag_name in named and self.request.image.tag is not None:
                self._set(doc, (), (*steps, named[tag_name][0], "value"), self.request.image.tag)


def _application_sources(spec: MappingNode) -> Iterator[tuple[tuple[Step, ...], MappingNode]]:
    single = _key(spec, "source")
    if isinstance(single, MappingNode):
        yield ("source",), single
    many = _key(spec, "sources")
    if isinstance(many, SequenceNode):
        for i, item in enumerate(many.value):
            if isinstance(item, MappingNode):
                yield ("sources", i), item


def _resolve_strict(doc: Document, steps: tuple[Step, ...]) -> Node:
    node = doc.root
    for step in steps:
        if isinstance(step, int):
            assert isinstance(node, SequenceNode)
            node = node.value[step]
        else:
            assert isinstance(node, MappingNode)
            found = _key(node, step)
            assert found is not None
            node = found
    assert node is not None
    return node
