"""A generated config repository of realistic shape: services x environments, several files each."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DEPLOYMENT = """\
# {service} in {env}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}
  labels: {{app: {service}, team: team-{team}}}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: {service}
          image: ghcr.io/acme/{service}:1.{minor}.0   # promoted by promoter
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
"""
FILES = {
    "service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {service}\nspec:\n  selector: {{app: {service}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n",
    "kustomization.yaml": "resources:\n- deployment.yaml\n- service.yaml\n- configmap.yaml\n- hpa.yaml\n",
    "configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {service}\ndata:\n  LOG_LEVEL: info\n",
    "hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {service}\nspec:\n  minReplicas: {replicas}\n  maxReplicas: 20\n",
}
ENVS = ("dev", "staging", "prod", "eu", "us")


def generate(root: Path, files: int = 5000) -> Path:
    """A bare repository at ``root/origin.git`` with ``files`` files; returns its path."""
    work = root / "work"
    count = 0
    service = 0
    while count < files:
        for env in ENVS:
            directory = work / "envs" / env / f"svc-{service:04d}"
            directory.mkdir(parents=True, exist_ok=True)
            values = {
                "service": f"svc-{service:04d}",
                "env": env,
                "team": service % 17,
                "replicas": 2 + service % 3,
                "minor": service % 9,
            }
            (directory / "deployment.yaml").write_text(DEPLOYMENT.format(**values))
            count += 1
            for name, template in FILES.items():
                if count >= files:
                    break
                (directory / name).write_text(template.format(**values))
                count += 1
            if count >= files:
                break
        service += 1
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "gen",
        "GIT_AUTHOR_EMAIL": "g@x",
        "GIT_COMMITTER_NAME": "gen",
        "GIT_COMMITTER_EMAIL": "g@x",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    bare = root / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, env=env)
    return bare
