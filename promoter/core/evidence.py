"""Whether what Argo CD synced still carries the stage's edits: content, not only ancestry. Pure.

The shell finds, for each Application, the synced revision that contains the reference merge, and reads the
stage's resources there. Here every change of the stage merged so far is applied, in order, to those texts:
the edits are declarative ("the canary's weight is 20"), so finding nothing to change means the revision
holds what the stage wrote. A later revert, or a person's commit that undid an edit, shows as a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from promoter.core import edits
from promoter.core.plan import Change
from promoter.core.resources import Found, Located
from promoter.core.strategies import ResourceRef
from promoter.core.verification import Deployed, Observed
from promoter.yamledit.errors import EditError


def judged(
    apps: Mapping[str, Observed],
    deployed: Mapping[str, Mapping[ResourceRef, Located]],
    merged: Sequence[Change],
) -> dict[str, Observed]:
    """Each Application with ``deployed`` set from the content at its synced revision."""
    carries: dict[str, bool] = {}
    result = {}
    for name, observed in apps.items():
        revision = observed.revision
        if revision is None or observed.status is None:
            result[name] = dataclasses.replace(observed, deployed=Deployed.NOT_YET)
            continue
        if revision not in carries:
            carries[revision] = _carries(deployed.get(revision, {}), merged)
        state = Deployed.CARRIES_EDIT if carries[revision] else Deployed.EDIT_UNDONE
        result[name] = dataclasses.replace(observed, deployed=state)
    return result


def _carries(found: Mapping[ResourceRef, Located], merged: Sequence[Change]) -> bool:
    requests = [request for change in merged for request in change.edits]
    located: dict[ResourceRef, Found] = {}
    for request in requests:
        ref = edits.ref(request)
        where = found.get(ref)
        if not isinstance(where, Found):
            return False  # the resource is gone at that revision: the edit is not there
        located[ref] = where
    try:
        texts = edits.apply_all(requests, located)
    except EditError:
        return False
    originals = {where.path: where.text for where in located.values()}
    return all(texts[path] == originals[path] for path in texts)
