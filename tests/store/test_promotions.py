"""Creating promotions: a new id unique for ever, the unfinished one returned again, races."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from promoter import ports
from promoter.adapters.store import SQLStore
from promoter.core.model import Phase, Promotion
from tests.store.conftest import T0


def finish(store: SQLStore, promotion: Promotion, phase: Phase) -> None:
    store.commit(promotion.pipeline, ports.Changes(promotion=dataclasses.replace(promotion, phase=phase)))


def test_a_new_promotion_is_pending_at_the_first_step(store: SQLStore) -> None:
    created = store.create_promotion("web", "1.5.0", T0)

    assert created == Promotion(created.id, "web", "1.5.0", Phase.PENDING, 0, 0, T0, T0, "", paused=False)
    assert created.id.startswith("1.5.0-")
    assert store.promotion(created.id, "web") == created


def test_creating_again_returns_the_unfinished_promotion(store: SQLStore) -> None:
    created = store.create_promotion("web", "1.5.0", T0)
    progressed = dataclasses.replace(created, phase=Phase.PROGRESSING, stage=1, reason="paused", paused=True)
    store.commit("web", ports.Changes(promotion=progressed))

    again = store.create_promotion("web", "1.5.0", T0 + dt.timedelta(hours=1))

    assert again == progressed
    assert store.promotions("web") == [progressed]


def test_a_pause_and_the_resume_are_kept(store: SQLStore) -> None:
    created = store.create_promotion("web", "1.5.0", T0)
    paused = dataclasses.replace(created, paused=True, reason="paused by alice")
    resumed = dataclasses.replace(paused, paused=False, reason="resumed by bob")

    store.commit("web", ports.Changes(promotion=paused))
    assert store.promotion(created.id, "web") == paused
    store.commit("web", ports.Changes(promotion=resumed))
    assert store.promotion(created.id, "web") == resumed


@pytest.mark.parametrize("phase", [Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED])
def test_a_finished_promotion_leads_to_the_next_attempt(store: SQLStore, phase: Phase) -> None:
    first = store.create_promotion("web", "1.5.0", T0)
    finish(store, first, phase)

    second = store.create_promotion("web", "1.5.0", T0 + dt.timedelta(minutes=1))
    finish(store, second, Phase.FAILED)
    third = store.create_promotion("web", "1.5.0", T0 + dt.timedelta(minutes=2))

    assert len({first.id, second.id, third.id}) == 3
    assert third.phase is Phase.PENDING
    assert [p.id for p in store.promotions("web")] == [third.id, second.id, first.id]


def test_an_id_never_depends_on_what_the_store_holds(open_store: Callable[..., SQLStore], fast_tmp: Path) -> None:
    """A lost store (a new file) must not hand out an id an earlier promotion used: ids are not counts."""
    first = open_store().create_promotion("web", "1.5.0", T0)
    fresh = SQLStore(f"sqlite:///{fast_tmp}/lost/promoter.db")
    try:
        again = fresh.create_promotion("web", "1.5.0", T0 + dt.timedelta(milliseconds=1))
    finally:
        fresh.close()
    assert again.id != first.id


def test_versions_that_sanitise_alike_still_get_distinct_ids(store: SQLStore) -> None:
    plus = store.create_promotion("web", "1.0+a", T0)
    dash = store.create_promotion("web", "1.0-a", T0)

    assert plus.id != dash.id
    assert plus.id.startswith("1.0-a-") and dash.id.startswith("1.0-a-")
    assert store.create_promotion("web", "1.0+a", T0) == plus


def test_concurrent_creators_get_one_promotion(open_store: Callable[..., SQLStore]) -> None:
    """Each thread has its own store (its own connections), as separate processes would."""
    stores = [open_store() for _ in range(8)]
    stores[0].prepare()
    barrier = threading.Barrier(len(stores))
    results: list[Promotion] = []

    def create(store: SQLStore) -> None:
        barrier.wait()
        results.append(store.create_promotion("web", "2.0.0", T0))

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len({promotion.id for promotion in results}) == 1
    assert [promotion.id for promotion in stores[0].promotions("web")] == [results[0].id]


def test_concurrent_creators_sharing_one_store(store: SQLStore) -> None:
    barrier = threading.Barrier(6)
    results: list[tuple[str, str]] = []

    def create(version: str) -> None:
        barrier.wait()
        results.append((version, store.create_promotion("web", version, T0).id))

    threads = [
        threading.Thread(target=create, args=(version,)) for version in ["3.0", "3.0", "3.0", "3.1", "3.1", "3.2"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    ids = {version: {i for v, i in results if v == version} for version, _ in results}
    assert [len(each) for each in ids.values()] == [1, 1, 1]  # one promotion per version, whoever created it
    assert len(store.promotions("web")) == 3


def test_promotions_are_listed_newest_first(store: SQLStore) -> None:
    old = store.create_promotion("web", "1.0", T0)
    new = store.create_promotion("web", "2.0", T0 + dt.timedelta(days=1))
    same_time = store.create_promotion("web", "1.9", T0 + dt.timedelta(days=1))
    other = store.create_promotion("api", "7.0", T0 + dt.timedelta(hours=1))
    finish(store, old, Phase.SUCCEEDED)

    assert [p.id for p in store.promotions("web")] == [new.id, same_time.id, old.id]
    assert [p.id for p in store.promotions()] == [new.id, same_time.id, other.id, old.id]
    assert [p.id for p in store.promotions("web", unfinished=True)] == [new.id, same_time.id]
    assert store.promotions("nothing-here") == []


def test_an_unknown_promotion_is_none(store: SQLStore) -> None:
    created = store.create_promotion("web", "1.0", T0)

    assert store.promotion(created.id + "x", "web") is None
    assert store.promotion(created.id, "api") is None


def test_times_are_returned_in_utc(store: SQLStore) -> None:
    in_paris = dt.datetime(2024, 7, 1, 14, 30, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    created = store.create_promotion("web", "1.0", in_paris)
    stored = store.promotion(created.id, "web")

    assert created.created_at == in_paris and created.created_at.tzinfo is dt.UTC
    assert stored == created and stored.updated_at.tzinfo is dt.UTC


def test_a_naive_time_is_refused(store: SQLStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.create_promotion("web", "1.0", dt.datetime(2024, 5, 1, 12, 0))  # noqa: DTZ001 (the point)

    assert store.promotions() == []
