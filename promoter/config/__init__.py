"""promoter's own configuration: ``DIR/promoter.yaml`` (global settings) and ``DIR/pipelines/*.yaml``.

Parsed at the edge (``models``: pydantic, frozen, unknown keys refused), handed inside as plain frozen
values (``settings`` and the pipelines of :mod:`promoter.core.model`). Every problem names the file, line,
column and field (``problems``); :func:`promoter.config.loading.load` reports them all at once. Secrets are
references (``{env: NAME}`` or ``{file: PATH}``), resolved only where they are used (``secrets``).
"""
