"""What a strategy edits: a resource named by kind and name (found in the repo, or in the file given), a
field of it (``path``), and an image target (the container whose image a version sets)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from promoter.config import fields
from promoter.config.strict import Model
from promoter.core import strategies


class ResourceModel(Model):
    """``{resource: Kind/name, file?, doc?}`` or ``{file, doc?}``: a resource promoter finds, or a whole file."""

    resource: fields.ResourceName | None = None
    file: fields.RepoFile | None = None
    doc: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.resource is None and self.file is None:
            raise fields.refuse("target", "name the resource (resource: Kind/name) or the file (file: PATH)")
        return self

    def to_ref(self) -> strategies.ResourceRef:
        if self.resource is None:
            return strategies.ResourceRef(file=self.file, doc=self.doc)
        kind, _, name = self.resource.partition("/")
        return strategies.ResourceRef(kind, name, self.file, self.doc)


class TargetModel(ResourceModel):
    """Where the version goes: ``image`` (every reference to it in the resource) or ``set`` (fields)."""

    image: fields.ImageName | None = None
    container: fields.Text | None = None
    values: Annotated[dict[fields.SetPath, fields.SetValue], Field(min_length=1)] | None = Field(
        default=None, alias="set"
    )

    @model_validator(mode="after")
    def _one_edit(self) -> Self:
        if (self.image is None) == (self.values is None):
            raise fields.refuse("target", "a target has exactly one of image or set")
        if self.container is not None and self.image is None:
            raise fields.refuse("target", "container applies to image targets only")
        return self

    def to_target(self) -> strategies.Target:
        if self.image is not None:
            return strategies.ImageTarget(self.to_ref(), self.image, self.container)
        assert self.values is not None
        return strategies.SetTarget(self.to_ref(), tuple(self.values.items()))


class ImageTargetModel(TargetModel):
    @model_validator(mode="after")
    def _an_image(self) -> Self:
        if self.image is None:
            raise fields.refuse("target", "a workload here is given with image: (its version is set)")
        return self

    def to_image(self) -> strategies.ImageTarget:
        target = self.to_target()
        assert isinstance(target, strategies.ImageTarget)
        return target
