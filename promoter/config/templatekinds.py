"""The kinds of Argo Rollouts' analysis template that promoter reads, and the words their reading
(:mod:`.analysis`) and their models (:mod:`.rollouts`) share: kept apart from the models, whose import (some
tens of pydantic models) only a config with templates pays."""

from __future__ import annotations

KINDS = {"AnalysisTemplate": False, "ClusterAnalysisTemplate": True}  # kind -> cluster scope
OUTSIDE = "promoter runs outside the cluster: pass the value as an arg where the template is used, e.g. {{canary}}"

Loc = tuple[int | str, ...]  # where in a document: keys and list indexes from its root
