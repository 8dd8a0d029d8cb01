"""`frozen` behaves as `dataclass(frozen=True)`: the same class built both ways, side by side."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.records import frozen


def make(decorate: Callable[[type], type]) -> type:
    """One class, decorated by ``decorate``; both versions get the same qualname."""

    class Thing:
        kind: ClassVar[str] = "thing"
        name: str
        size: int
        note: str | None = None
        tags: list[str] = field(default_factory=list, compare=False)
        secret: str = field(default="", repr=False)
        weight: float = field(default=0.0, compare=False)
        seen: list[str] = field(default_factory=list, init=False, compare=False)

        def label(self) -> str:
            return f"{self.kind}:{self.name}"

    return decorate(Thing)


@frozen
class Point:
    x: int
    y: int = 0


Record = make(frozen)
Frozen = make(dataclass(frozen=True))

NAMES = ("name", "size", "note", "tags", "secret", "weight", "colour")
values = st.one_of(
    st.none(), st.integers(-3, 3), st.text(max_size=3), st.lists(st.text(max_size=2))
)


def build(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        return ("TypeError", str(exc).replace(cls.__qualname__ + ".", ""))


@given(
    args=st.lists(values, max_size=7).map(tuple),
    kwargs=st.dictionaries(st.sampled_from(NAMES), values, max_size=4),
)
def test_construction_matches_a_frozen_dataclass_including_its_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours, theirs = build(Record, args, kwargs), build(Frozen, args, kwargs)
    if isinstance(theirs, tuple):
        assert ours == theirs
        return
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert repr(ours) == repr(theirs)


@given(a=st.tuples(st.text(max_size=2), st.integers(0, 2), st.floats(0, 1), st.text(max_size=1)))
def test_equality_and_hash_follow_the_compared_fields(a: tuple[str, int, float, str]) -> None:
    name, size, weight, secret = a
    ours = Record(name, size, weight=weight, secret=secret)
    twin = Record(name, size, weight=weight + 1, tags=["x"])  # secret is compared, not these
    theirs = Frozen(name, size, weight=weight, secret=secret)
    assert (ours == twin) == (Frozen(name, size, weight=weight + 1) == theirs)
    if ours == twin:
        assert hash(ours) == hash(twin)
    assert hash(ours) == hash(theirs)
    assert ours != theirs  # different classes are never equal, as with dataclasses
    assert ours == Record(name, size, weight=weight, secret=secret)


def test_a_field_cannot_be_assigned_or_deleted() -> None:
    thing = Record("orders", 1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'name'"):
        thing.name = "other"
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'extra'"):
        thing.extra = 1
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'size'"):
        del thing.size


def test_dataclass_tools_see_a_frozen_dataclass() -> None:
    thing = Record("orders", 1, tags=["a"])
    assert dataclasses.is_dataclass(thing)
    assert [f.name for f in dataclasses.fields(thing)] == [
        "name",
        "size",
        "note",
        "tags",
        "secret",
        "weight",
        "seen",
    ]
    changed = dataclasses.replace(thing, size=2)
    assert (changed.name, changed.size, changed.tags) == ("orders", 2, ["a"])
    assert thing.size == 1
    assert copy.deepcopy(thing) == thing
    assert pickle.loads(pickle.dumps(Point(1, 2))) == Point(1, 2)  # noqa: S301 (our own bytes)
    assert thing.label() == "thing:orders"
    assert Record.__match_args__ == Frozen.__match_args__


def test_each_instance_gets_its_own_default_from_a_factory() -> None:
    first, second = Record("a", 1), Record("b", 2)
    assert first.tags == []
    assert first.tags is not second.tags


def test_post_init_runs_after_the_fields_are_set() -> None:
    seen: list[int] = []

    @frozen
    class Checked:
        size: int

        def __post_init__(self) -> None:
            if self.size < 0:
                raise ValueError("size must not be negative")
            seen.append(self.size)

    Checked(3)
    with pytest.raises(ValueError, match="must not be negative"):
        Checked(-1)
    assert seen == [3]


def test_a_non_default_field_after_a_default_one_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @frozen
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_methods_the_class_defines_itself_are_kept() -> None:
    @frozen
    class Shown:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert repr(Shown("x")) == "<x>"
    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):

        @frozen
        class Mutable:
            name: str

            def __setattr__(self, name: str, value: Any) -> None:
                object.__setattr__(self, name, value)


def test_a_class_with_slots_is_refused_with_the_reason() -> None:
    with pytest.raises(TypeError, match="Slotted: @frozen keeps fields in the instance dict"):

        @frozen
        class Slotted:
            __slots__ = ("name",)
            name: str
