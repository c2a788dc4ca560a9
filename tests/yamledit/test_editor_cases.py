"""Hand-written cases for every kind the corpus lacks: each shows the exact bytes before and after."""

from __future__ import annotations

import pytest

from promoter.yamledit import editor
from promoter.yamledit.errors import EditError


def edit(text: str, *assignments: str, doc: int | None = None) -> str:
    return editor.apply(text, [editor.Edit.parse(a, doc=doc) for a in assignments])


def refused(text: str, *assignments: str, doc: int | None = None) -> EditError:
    with pytest.raises(EditError) as info:
        edit(text, *assignments, doc=doc)
    return info.value


# layout fidelity --------------------------------------------------------------------------------


def test_crlf_is_kept() -> None:
    text = "a: 1\r\nb:\r\n  c: v1 # note\r\n"
    assert edit(text, "b.c=v2") == "a: 1\r\nb:\r\n  c: v2 # note\r\n"


def test_missing_final_newline_is_kept() -> None:
    assert edit("image:\n  tag: v1", "image.tag=v2") == "image:\n  tag: v2"


def test_trailing_spaces_and_comments_are_kept() -> None:
    text = 'metadata:   \n  labels:  # c\n    version: "1.10"   # pinned\n'
    assert (
        edit(text, "metadata.labels.version=1.11") == 'metadata:   \n  labels:  # c\n    version: "1.11"   # pinned\n'
    )


def test_comments_before_document_separator_and_after_block_scalars_are_kept() -> None:
    text = "a: |\n  line\n# after the block\n# before the separator\n---\n# head\nb: 1\n"
    assert edit(text, "b=2") == text.replace("b: 1", "b: 2")


def test_flow_style_is_kept() -> None:
    text = "labels: {app: web, version: v1}\nports: [80, 443]\n"
    assert edit(text, "labels.version=v2", "ports[1]=8443") == "labels: {app: web, version: v2}\nports: [80, 8443]\n"


def test_byte_order_mark_is_kept() -> None:
    assert edit("\ufeffa: 1\n", "a=2") == "\ufeffa: 2\n"


def test_indentless_and_indented_lists_in_one_file() -> None:
    text = "hosts:\n  - a\nhttp:\n- route:\n  - weight: 90\n"
    assert edit(text, "http[0].route[0].weight=80") == text.replace("90", "80")


def test_empty_value_is_filled_after_the_colon() -> None:
    assert edit("image:\n  tag:\n  pull: Always\n", "image.tag=v1") == "image:\n  tag: v1\n  pull: Always\n"
    assert edit("tag: # set by CI\n", "tag=v1") == "tag: v1 # set by CI\n"


def test_anchor_and_tag_before_a_value_are_kept() -> None:
    assert edit("a: &x !!str 12\n", "a=13") == "a: &x !!str 13\n"


# types and quoting -----------------------------------------------------------------------------


def test_a_version_string_never_becomes_a_float() -> None:
    assert edit('version: "1.10"\n', "version=1.9") == 'version: "1.9"\n'
    assert edit("tag: v1\n", "tag=1.10") == 'tag: "1.10"\n'


@pytest.mark.parametrize("word", ["yes", "on", "off", "no", "y", "1e3", "0x10", "null", "~", "2024-01-01"])
def test_strings_that_would_read_as_another_type_are_quoted(word: str) -> None:
    assert edit("flag: text\n", f"flag={word}") == f'flag: "{word}"\n'


def test_single_quotes_are_kept_and_escaped() -> None:
    assert edit("msg: 'hi'\n", "msg=it's") == "msg: 'it''s'\n"


def test_ints_stay_ints_and_refuse_words() -> None:
    assert edit("replicas: 3\n", "replicas=5") == "replicas: 5\n"
    error = refused("replicas: 3\n", "replicas=five")
    assert error.line == 1
    assert "holds an int" in error.reason
    assert "replicas='\"five\"'" in error.reason


def test_explicit_quotes_on_the_command_line_store_a_string() -> None:
    assert edit("tag: 20240101\n", 'tag="v2"') == "tag: v2\n"  # plain already reads as a string
    assert edit("tag: 1.2\n", 'tag="1.10"') == 'tag: "1.10"\n'


def test_octal_looking_numbers_are_written_as_typed() -> None:
    assert edit("defaultMode: 0644\n", "defaultMode=0755") == "defaultMode: 0755\n"


def test_several_edits_apply_together() -> None:
    text = "a: 1\nb: 2\nc: [x, y]\n"
    assert edit(text, "a=10", "c[0]=z", "b=20") == "a: 10\nb: 20\nc: [z, y]\n"


def test_the_same_path_twice_is_refused() -> None:
    assert "set twice" in refused("a: 1\n", "a=2", "a=3").reason


# multi-document files ---------------------------------------------------------------------------

MULTI = "kind: Service\nspec:\n  selector:\n    color: blue\n---\nkind: Deployment\nspec:\n  replicas: 2\n---\nkind: Deployment\nspec:\n  replicas: 3\n"


def test_a_path_found_in_one_document_needs_no_doc() -> None:
    assert edit(MULTI, "spec.selector.color=green") == MULTI.replace("blue", "green")


def test_a_path_found_in_several_documents_asks_for_doc() -> None:
    error = refused(MULTI, "spec.replicas=5")
    assert "several documents" in error.reason
    assert "1 (line 5)" in error.reason and "2 (line 9)" in error.reason


def test_doc_chooses_the_document() -> None:
    assert edit(MULTI, "spec.replicas=5", doc=2) == MULTI.replace("replicas: 3", "replicas: 5")


def test_doc_out_of_range_is_refused() -> None:
    assert "no document 7" in refused(MULTI, "spec.replicas=5", doc=7).reason


def test_directives_and_explicit_document_ends() -> None:
    text = "%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n...\n"
    assert edit(text, "b=3") == text.replace("b: 2", "b: 3")


# inside block scalars -------------------------------------------------------------------------

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../base
patchesStrategicMerge:
- |-
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app
  spec:
    template:
      spec:
        containers:
        - name: app
          image: ghcr.io/acme/app:1.0 # pinned
patches:
- target:
    kind: Deployment
    name: app
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/image
      value: ghcr.io/acme/app:1.0
    - op: replace
      path: /spec/replicas
      value: 2
"""


def test_strategic_merge_inline_patch() -> None:
    out = edit(
        KUSTOMIZATION, "patchesStrategicMerge[0]|spec.template.spec.containers[name=app].image=ghcr.io/acme/app:1.1"
    )
    assert out == KUSTOMIZATION.replace("app:1.0 # pinned", "app:1.1 # pinned")


def test_json6902_inline_patch() -> None:
    out = edit(KUSTOMIZATION, "patches[0].patch|[path=/spec/replicas].value=3")
    assert out == KUSTOMIZATION.replace("value: 2", "value: 3")


def test_two_edits_in_one_block_scalar() -> None:
    out = edit(
        KUSTOMIZATION,
        "patches[0].patch|[path=/spec/replicas].value=3",
        "patches[0].patch|[path=/spec/template/spec/containers/0/image].value=ghcr.io/acme/app:2",
    )
    assert out == KUSTOMIZATION.replace("value: 2", "value: 3").replace(
        "value: ghcr.io/acme/app:1.0", "value: ghcr.io/acme/app:2"
    )


APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook-prod
spec:
  source:
    repoURL: https://example.com/config.git
    path: charts/guestbook
    helm:
      values: |
        image:
          repository: ghcr.io/acme/guestbook
          tag: "1.4"   # promoted by promoter

        replicaCount: 3
"""


def test_inline_helm_values_in_an_application() -> None:
    out = edit(APPLICATION, "spec.source.helm.values|image.tag=1.5")
    assert out == APPLICATION.replace('tag: "1.4"', 'tag: "1.5"')


def test_inline_values_with_crlf() -> None:
    text = APPLICATION.replace("\n", "\r\n")
    assert edit(text, "spec.source.helm.values|replicaCount=4") == text.replace("replicaCount: 3", "replicaCount: 4")


def test_a_literal_block_scalar_takes_a_new_text() -> None:
    text = "query: |\n  sum(rate(errors[5m]))\nnext: 1\n"
    assert edit(text, "query=sum(rate(errors[1m]))\n") == "query: |\n  sum(rate(errors[1m]))\nnext: 1\n"


def test_descending_into_a_folded_or_plain_scalar_is_refused() -> None:
    assert "folded" in refused("a: >\n  b: 1\n", "a|b=2").reason
    assert "literal block scalar" in refused("a: 'b: 1'\n", "a|b=2").reason


def test_an_error_inside_a_block_scalar_points_at_the_file_line() -> None:
    error = refused(APPLICATION, "spec.source.helm.values|image.missing=1")
    assert error.line == 12  # the line of the mapping that lacks the key
    assert "inside the block scalar" in error.reason


# refusals -------------------------------------------------------------------------------------


def test_missing_key_names_the_line_and_the_keys_there() -> None:
    error = refused("spec:\n  replicas: 1\n", "spec.replica=2")
    assert error.line == 2
    assert "no key 'replica'" in error.reason and "replicas" in error.reason


def test_ambiguous_selector() -> None:
    error = refused("c:\n- name: a\n  image: x\n- name: a\n  image: y\n", "c[name=a].image=z")
    assert "2 items with name=a" in error.reason and "ambiguous" in error.reason


def test_selector_without_a_match_lists_what_is_there() -> None:
    assert "name=web" in refused("c:\n- name: web\n", "c[name=app].image=z").reason


def test_non_scalar_target() -> None:
    assert "a mapping, not a scalar" in refused("spec:\n  a: 1\n", "spec=2").reason
    assert "a list, not a scalar" in refused("spec:\n- 1\n", "spec=2").reason


def test_index_out_of_range() -> None:
    assert "out of range" in refused("a: [1]\n", "a[3]=2").reason


def test_tab_after_a_value_is_refused_with_its_line() -> None:
    error = refused("a: 1\nb: 2\t\n", "a=3")
    assert error.line == 2
    assert "TAB" in error.reason


def test_helm_template_is_refused() -> None:
    error = refused("metadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n", "spec=1")
    assert "template" in error.reason


def test_template_that_parses_is_still_refused() -> None:
    assert "template" in refused("a: 1\nrepoURL: {{ .Values.repoURL }}\n", "a=2").reason


def test_duplicate_key_is_ambiguous() -> None:
    assert "more than once" in refused("a: 1\na: 2\n", "a=3").reason


def test_merge_keys_point_at_the_anchor() -> None:
    text = "base: &base\n  tag: v1\napp:\n  <<: *base\n  name: x\n"
    assert "merge key" in refused(text, "app.tag=v2").reason


def test_shared_anchor_is_refused_but_unshared_anchor_edits() -> None:
    assert "aliases share" in refused("a: &x {t: 1}\nb: *x\n", "a.t=2").reason
    assert edit("a: &x {t: 1}\n", "a.t=2") == "a: &x {t: 2}\n"


def test_empty_file_is_refused() -> None:
    assert "no YAML document" in refused("# only a comment\n", "a=1").reason


def test_a_quoted_looking_value_is_an_explicit_string_not_a_no_op() -> None:
    text = "tag: \"'quoted'\"\n"  # the value is 'quoted', quotes included
    assert edit(text, "tag='quoted'") == 'tag: "quoted"\n'
    assert edit(text, "tag=\"'quoted'\"") == text  # typed as the same value: nothing changes
