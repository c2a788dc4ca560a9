"""A stage's ``strategy`` as written in a pipeline file, shaped like Argo Rollouts' so a Rollout carries over.

``strategy: rolling`` (the short form) or ``{rolling: {analysis?}}``; ``{canary: {targets, steps, trafficRouting,
canaryService, stableService, scaleDown, analysis?}}``; ``{blueGreen: {activeService, previewService, selector,
colors, autoPromotionEnabled, prePromotionPause, scaleDownDelay, prePromotionAnalysis?,
postPromotionAnalysis?}}``. Argo Rollouts' field names are used where one
exists (``setWeight``, ``pause: {duration}``, ``setCanaryScale``, ``setHeaderRoute``, ``setMirrorRoute``,
``trafficRouting.istio.virtualService``, ``destinationRule.canarySubsetName``, ``nginx.stableIngress``,
``smi.trafficSplitName``, ``autoPromotionSeconds``, ``scaleDownDelaySeconds``); what Git needs beyond them
(the canary's own workload, the two colours' workloads, the selector key) has its own plain names.
Combinations that cannot work are refused here, with the field that is wrong.

An analysis is used as in a Rollout: ``{templates: [{templateName, clusterScope?}], args: [{name, value}]}``
(a canary step ``- analysis: {...}``, the canary's background ``analysis: {..., startingStep}``, rolling's
post-deploy ``analysis``, blue/green's ``prePromotionAnalysis`` / ``postPromotionAnalysis``). The templates
are the ones loaded from ``DIR/analysis/`` (:mod:`promoter.config.analysis`), handed in through pydantic's
validation context, so a reference is resolved, or refused at its line, while the pipeline is validated.
An argument given here overrides the template's; a value may hold the promotion's own values, filled in when
the plan is built: ``{{version}}``, ``{{stage}}``, ``{{canary}}`` and ``{{stable}}`` (the workloads' names).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Self

import pydantic
from pydantic import Field, field_validator, model_validator

from promoter.config import fields
from promoter.config.analysisrefs import AnalysisModel, analysis_of
from promoter.config.canary import CanaryModel
from promoter.config.strict import Model, not_null, refuse_at
from promoter.config.targets import ImageTargetModel
from promoter.core import strategies


class RollingModel(Model):
    analysis: AnalysisModel | None = None

    @field_validator("analysis", mode="before")
    @classmethod
    def _given(cls, value: object) -> object:
        return not_null(value, "a mapping")

    def to_rolling(self) -> strategies.Rolling:
        return strategies.Rolling(self.analysis.to_analysis() if self.analysis is not None else None)


# blue/green ---------------------------------------------------------------------------------------


class _Service(Model):
    name: fields.Text
    file: fields.RepoFile | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: object) -> object:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, dict):
            raise fields.refuse("service", "expected the Service's name, or {name: NAME, file: PATH}")
        return data

    def to_ref(self) -> strategies.ResourceRef:
        return strategies.ResourceRef("Service", self.name, self.file)


class BlueGreenModel(Model):
    active_service: _Service = Field(alias="activeService")
    preview_service: _Service | None = Field(default=None, alias="previewService")
    selector: fields.Text
    colors: dict[fields.Text, ImageTargetModel]
    auto_promotion_enabled: bool = Field(default=True, alias="autoPromotionEnabled")
    pre_promotion_pause: fields.Duration | None = Field(default=None, alias="prePromotionPause")
    auto_promotion_seconds: Annotated[int, Field(ge=0)] | None = Field(default=None, alias="autoPromotionSeconds")
    scale_down_delay: fields.Duration | None = Field(default=None, alias="scaleDownDelay")
    scale_down_delay_seconds: Annotated[int, Field(ge=0)] | None = Field(default=None, alias="scaleDownDelaySeconds")
    scale_down: bool = Field(default=True, alias="scaleDown")
    pre_promotion_analysis: AnalysisModel | None = Field(default=None, alias="prePromotionAnalysis")
    post_promotion_analysis: AnalysisModel | None = Field(default=None, alias="postPromotionAnalysis")

    @field_validator("colors")
    @classmethod
    def _two_colors(cls, value: dict[str, ImageTargetModel]) -> dict[str, ImageTargetModel]:
        if len(value) != 2:
            raise fields.refuse("colors", "blue/green has exactly two colours: {VALUE: workload, VALUE: workload}")
        return value

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        errors: list[tuple[tuple[int | str, ...], str, str]] = []  # at the second key of each pair
        if self.pre_promotion_pause is not None and self.auto_promotion_seconds is not None:
            errors.append(
                (("autoPromotionSeconds",), "pause", "give prePromotionPause or autoPromotionSeconds, not both")
            )
        if self.scale_down_delay is not None and self.scale_down_delay_seconds is not None:
            errors.append(
                (("scaleDownDelaySeconds",), "delay", "give scaleDownDelay or scaleDownDelaySeconds, not both")
            )
        refuse_at(type(self), errors)
        return self

    def to_blue_green(self) -> strategies.BlueGreen:
        pause = self.pre_promotion_pause or dt.timedelta(seconds=self.auto_promotion_seconds or 0)
        delay = self.scale_down_delay
        if delay is None:
            delay = dt.timedelta(seconds=30 if self.scale_down_delay_seconds is None else self.scale_down_delay_seconds)
        return strategies.BlueGreen(
            active_service=self.active_service.to_ref(),
            selector=self.selector,
            colors=tuple((value, target.to_image()) for value, target in self.colors.items()),
            preview_service=self.preview_service.to_ref() if self.preview_service else None,
            auto_promotion=self.auto_promotion_enabled,
            pre_promotion_pause=pause,
            scale_down_delay=delay,
            scale_down=self.scale_down,
            pre_promotion_analysis=analysis_of(self.pre_promotion_analysis),
            post_promotion_analysis=analysis_of(self.post_promotion_analysis),
        )


class StrategyModel(Model):
    rolling: RollingModel | None = None
    canary: CanaryModel | None = None
    blue_green: BlueGreenModel | None = Field(default=None, alias="blueGreen")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: object) -> object:
        if data == "rolling":
            return {"rolling": {}}
        if isinstance(data, str):
            known = [f.alias or name for name, f in cls.model_fields.items()]
            if data not in known:
                close = difflib.get_close_matches(data, known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise fields.refuse(
                    "strategy", f"unknown strategy {data!r} ({hint}expected one of: {', '.join(known)})"
                )
            raise fields.refuse(
                "strategy", f"{data!r} needs its settings: write strategy: {{{data}: {{...}}}} (or strategy: rolling)"
            )
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: object, info: pydantic.ValidationInfo) -> object:
        hint = ": write rolling: {} (or strategy: rolling)" if info.field_name == "rolling" else ""
        return not_null(value, "a mapping", hint)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if sum(v is not None for v in (self.rolling, self.canary, self.blue_green)) != 1:
            raise fields.refuse("strategy", "give exactly one of rolling, canary or blueGreen")
        return self

    def to_strategy(self) -> strategies.Strategy:
        if self.canary is not None:
            return self.canary.to_canary()
        if self.blue_green is not None:
            return self.blue_green.to_blue_green()
        assert self.rolling is not None
        return self.rolling.to_rolling()
