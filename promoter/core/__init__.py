"""The decision core: pure.

Nothing in this package performs I/O, reads a clock or the environment: observations come in as frozen
values (a snapshot, with ``now`` among them) and decisions go out as data (actions) that the shell
executes. An import-linter contract keeps I/O modules out of it.
"""
