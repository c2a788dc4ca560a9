"""``edit image``: every reference to one image repository in a file, and nothing else."""

from __future__ import annotations

import pytest

from promoter.yamledit import imageedit
from promoter.yamledit.errors import EditError

DIGEST = "sha256:" + "ab" * 32


def set_image(text: str, image: str, container: str | None = None, filename: str = "file.yaml") -> str:
    return imageedit.apply(text, imageedit.parse_request(image, container), filename)


WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: ghcr.io/acme/app:1.0
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0   # the app
      - name: sidecar
        image: envoyproxy/envoy:v1.31
---
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: "ghcr.io/acme/app:1.0"
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec:
  template:
    spec:
      containers:
      - {name: app, image: ghcr.io/acme/app@sha256:0000000000000000000000000000000000000000000000000000000000000000}
"""


def test_every_pod_template_kind_and_init_containers() -> None:
    out = set_image(WORKLOADS, "ghcr.io/acme/app:1.1")
    assert out.count("ghcr.io/acme/app:1.1") == 4
    assert "envoyproxy/envoy:v1.31" in out
    assert '"ghcr.io/acme/app:1.1"' in out  # quoting kept
    assert "# the app" in out


def test_container_narrows_the_edit() -> None:
    out = set_image(WORKLOADS, "ghcr.io/acme/app:1.1", container="migrate")
    assert out.count("ghcr.io/acme/app:1.1") == 1
    assert "name: migrate\n        image: ghcr.io/acme/app:1.1" in out


def test_digest() -> None:
    out = set_image("containers:\n- name: a\n  image: ghcr.io/acme/app:1.0\n", f"ghcr.io/acme/app@{DIGEST}")
    assert out == f"containers:\n- name: a\n  image: ghcr.io/acme/app@{DIGEST}\n"


def test_docker_hub_names_match_in_any_spelling() -> None:
    out = set_image("containers:\n- name: a\n  image: docker.io/library/nginx:1.25\n", "nginx:1.27")
    assert out == "containers:\n- name: a\n  image: docker.io/library/nginx:1.27\n"


def test_no_reference_is_refused() -> None:
    with pytest.raises(EditError, match=r"no reference to the image ghcr\.io/other/x"):
        set_image(WORKLOADS, "ghcr.io/other/x:1")


def test_already_at_the_version_is_a_no_op() -> None:
    text = "containers:\n- name: a\n  image: nginx:1.25\n"
    assert set_image(text, "nginx:1.25") == text


def test_image_without_tag_or_digest_is_refused() -> None:
    with pytest.raises(EditError, match="no tag or digest"):
        imageedit.parse_request("nginx")


# Helm values -----------------------------------------------------------------------------------

HELM_VALUES = """\
# Default values for guestbook.
replicaCount: 1
image:
  repository: gcr.io/google-samples/gb-frontend
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: v5
sidecar:
  image: busybox:1.36
worker:
  image:
    registry: ghcr.io
    repository: acme/worker
    tag: 1.2
"""


def test_helm_repository_and_tag() -> None:
    out = set_image(HELM_VALUES, "gcr.io/google-samples/gb-frontend:v6")
    assert out == HELM_VALUES.replace("tag: v5", "tag: v6")


def test_helm_image_string() -> None:
    assert set_image(HELM_VALUES, "busybox:1.37") == HELM_VALUES.replace("busybox:1.36", "busybox:1.37")


def test_helm_registry_plus_repository_and_a_float_tag_becomes_a_string() -> None:
    out = set_image(HELM_VALUES, "ghcr.io/acme/worker:1.10")
    assert out == HELM_VALUES.replace("tag: 1.2", 'tag: "1.10"')


def test_helm_tag_is_added_when_missing() -> None:
    text = "image:\n  repository: ghcr.io/acme/app\n  pullPolicy: Always\n"
    assert set_image(text, "ghcr.io/acme/app:2.0") == text + '  tag: "2.0"\n'


# kustomize ---------------------------------------------------------------------------------------

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: ghcr.io/acme/app
  newTag: "1.0"
- name: redis
  newName: registry.example.com/mirror/redis
  newTag: 7.0.0
"""


def test_kustomize_new_tag() -> None:
    assert set_image(KUSTOMIZATION, "ghcr.io/acme/app:1.1") == KUSTOMIZATION.replace('newTag: "1.0"', 'newTag: "1.1"')


def test_kustomize_entry_matched_by_new_name() -> None:
    out = set_image(KUSTOMIZATION, "registry.example.com/mirror/redis:7.2.0")
    assert out == KUSTOMIZATION.replace("newTag: 7.0.0", "newTag: 7.2.0")


def test_kustomize_digest_is_added_to_the_entry() -> None:
    out = set_image(KUSTOMIZATION, f"ghcr.io/acme/app@{DIGEST}")
    assert out == KUSTOMIZATION.replace('  newTag: "1.0"\n', f'  newTag: "1.0"\n  digest: {DIGEST}\n')


def test_kustomize_entry_is_appended_for_a_new_image() -> None:
    out = set_image(KUSTOMIZATION, "ghcr.io/acme/worker:3.1")
    assert out == KUSTOMIZATION + '- name: ghcr.io/acme/worker\n  newTag: "3.1"\n'


def test_kustomize_entry_append_keeps_indented_lists_and_crlf() -> None:
    text = "kind: Kustomization\nimages:\n  - name: a\n    newTag: v1 # pinned\n".replace("\n", "\r\n")
    out = set_image(text, "b:1.0")
    assert out == text + '  - name: b\r\n    newTag: "1.0"\r\n'


def test_kustomize_images_block_is_created() -> None:
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - base\n"
    out = set_image(text, "ghcr.io/acme/app:1.10")
    assert out == text + 'images:\n  - name: ghcr.io/acme/app\n    newTag: "1.10"\n'


def test_kustomize_images_block_is_created_without_a_final_newline() -> None:
    text = "kind: Kustomization\nresources:\n- base"
    assert set_image(text, "app:v1") == text + "\nimages:\n- name: app\n  newTag: v1\n"


def test_kustomization_found_by_file_name() -> None:
    text = "resources:\n- base\n"
    out = set_image(text, "app:1", filename="kustomization.yaml")
    assert out == text + 'images:\n- name: app\n  newTag: "1"\n'


def test_kustomize_flow_images() -> None:
    text = "kind: Kustomization\nimages: []\n"
    assert set_image(text, "app:1") == 'kind: Kustomization\nimages: [{name: app, newTag: "1"}]\n'


def test_kustomize_inline_patches_strategic_merge_and_json6902() -> None:
    text = """\
kind: Kustomization
images:
- name: ghcr.io/acme/app
  newTag: "1.0"
patchesStrategicMerge:
- |-
  kind: Deployment
  spec:
    template:
      spec:
        containers:
        - name: app
          image: ghcr.io/acme/app:1.0
patches:
- patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/image
      value: ghcr.io/acme/app:1.0
"""
    out = set_image(text, "ghcr.io/acme/app:1.1")
    assert out == text.replace("1.0", "1.1")


# Argo CD Application ---------------------------------------------------------------------------

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-prod
spec:
  sources:
  - repoURL: https://example.com/config.git
    path: overlays/prod
    kustomize:
      images:
      - ghcr.io/acme/app:1.0
      - redis=registry.example.com/redis:7.0
  - repoURL: https://example.com/charts.git
    chart: app
    helm:
      values: |
        image:
          repository: ghcr.io/acme/app
          tag: "1.0"
      parameters:
      - name: worker.image.repository
        value: ghcr.io/acme/app
      - name: worker.image.tag
        value: "1.0"
"""


def test_application_kustomize_images_inline_values_and_parameters() -> None:
    out = set_image(APPLICATION, "ghcr.io/acme/app:1.1")
    assert out == APPLICATION.replace("1.0", "1.1").replace("redis:7.1", "redis:7.0")


def test_application_kustomize_override_syntax() -> None:
    out = set_image(APPLICATION, "registry.example.com/redis:7.2")
    assert "- redis=registry.example.com/redis:7.2\n" in out
    out = set_image(APPLICATION, "redis:7.4")
    assert "- redis=registry.example.com/redis:7.4\n" in out
