"""Minimal-diff YAML editing: pure, bytes-level.

This package performs no I/O of its own: it takes the text of a file and a list of intended edits and
returns the new text, or raises :class:`promoter.yamledit.errors.EditError`. It locates each target
with ruamel.yaml (positions only), splices the new token into the original text, re-parses the result
and checks that the only semantic change is the intended one. Everything else (comments, quoting,
indentation, CRLF, trailing spaces, a missing final newline, document separators) stays byte-identical.

An import-linter contract keeps I/O modules out of it.
"""
