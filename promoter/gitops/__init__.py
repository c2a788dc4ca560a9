"""How Argo CD reads a config repo: pure knowledge shared by the bot and the bundled Argo CD simulator.

Nothing in this package performs I/O: functions take the text or parsed data of files and return values.
It holds what both sides must agree on — how manifests load (:mod:`.manifests`), what an Application
declares (:mod:`.applications`), which fields its ``spec.ignoreDifferences`` hides from sync
(:mod:`.ignores`), what a source deploys (:mod:`.render`, with :mod:`.kustomize`, :mod:`.helm` and
:mod:`.patches`, over the files of a commit, :mod:`.files`), which Applications a changed file concerns
(:mod:`.mapping`) — so the simulator imports it and it never imports the simulator (nor adapters, the
engine or any I/O library); an import-linter contract keeps it so.
"""
