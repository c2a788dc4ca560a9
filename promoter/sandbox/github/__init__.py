"""A GitHub-compatible forge on loopback, backed by a real bare git repository.

PyGithub talks to it exactly as to ``api.github.com``: the same paths, the same JSON shapes (checked
against GitHub's OpenAPI description in the tests), the same errors, ETags and rate-limit headers. The git
side is real: branches are the bare repository's refs, pushed to with plain git, and merging a pull request
is a real merge into the base branch. Tests, ``promoter demo`` and ``promoter sandbox up`` use it instead of
GitHub; :mod:`promoter.sandbox.github.sandbox` is the entry point.
"""
