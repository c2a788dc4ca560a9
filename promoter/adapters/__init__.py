"""Adapters: one module per outside system (the local filesystem, git, GitHub, Argo CD, Prometheus, ...)."""
