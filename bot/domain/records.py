"""Frozen records: frozen dataclasses whose methods are compiled once, not once per class.

``dataclass(frozen=True)`` writes the source of six methods for each class it decorates
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) and
compiles them while the module is imported: 0.3-0.5 ms per class, which is about half of
what importing opsbot costs each Lambda function on a cold start. ``frozen`` lets
``dataclasses`` collect the fields (so ``fields``, ``replace``, ``asdict`` and type checkers
see an ordinary frozen dataclass) and gives every class the same methods, compiled into
this module's bytecode, reading the fields from the class.

What differs from ``dataclass(frozen=True)``: ``__init__`` takes ``*args, **kwargs`` at run
time (type checkers still see the fields' signature, and its errors read the same), and a
record cannot be subclassed by a true frozen dataclass. ``tests/domain/test_records.py``
holds the two side by side.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import MISSING
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)


class _Spec:
    """What the shared methods need to know about one record class."""

    # a plain class: a NamedTuple here would cost this module more than it saves a record
    __slots__ = ("defaults", "factories", "init", "key", "post_init", "qualname", "shown", "unset")

    def __init__(self, cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
        self.qualname = cls.__qualname__
        self.init = tuple(f.name for f in fields if f.init)  # the parameters, in order
        self.defaults = {f.name: f.default for f in fields if f.default is not MISSING}
        self.factories: dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in fields if f.default_factory is not MISSING
        }
        # init=False fields with a default: __init__ sets them
        self.unset = tuple(
            f.name
            for f in fields
            if not f.init and (f.name in self.defaults or f.name in self.factories)
        )
        self.shown = tuple(f.name for f in fields if f.repr)
        self.key = _key(tuple(f.name for f in fields if f.compare))  # compared and hashed
        self.post_init = hasattr(cls, "__post_init__")


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return lambda obj: ()


def _refused(spec: _Spec, problem: str) -> TypeError:
    return TypeError(f"{spec.qualname}.__init__() {problem}")


def _missing(spec: _Spec, names: list[str]) -> TypeError:
    quoted = [repr(n) for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    plural = "argument" if len(names) == 1 else "arguments"
    return _refused(spec, f"missing {len(names)} required positional {plural}: {listed}")


def _too_many(spec: _Spec, given: int) -> TypeError:
    required = sum(1 for n in spec.init if n not in spec.defaults and n not in spec.factories)
    takes = f"{len(spec.init) + 1}"
    if required < len(spec.init):
        takes = f"from {required + 1} to {takes}"
    return _refused(spec, f"takes {takes} positional arguments but {given + 1} were given")


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = type(self).__record__
    params = spec.init
    # Checked in CPython's order, so the errors read as they would from a dataclass.
    values = dict(zip(params, args, strict=False))
    for name, value in kwargs.items():
        if name not in params:
            raise _refused(spec, f"got an unexpected keyword argument {name!r}")
        if name in values:
            raise _refused(spec, f"got multiple values for argument {name!r}")
        values[name] = value
    if len(args) > len(params):
        raise _too_many(spec, len(args))
    if len(values) < len(params):
        missing = []
        for name in params[len(args) :]:
            if name in values:
                continue
            if name in spec.defaults:
                values[name] = spec.defaults[name]
            elif name in spec.factories:
                values[name] = spec.factories[name]()
            else:
                missing.append(name)
        if missing:
            raise _missing(spec, missing)
    for name in spec.unset:
        default = spec.defaults.get(name, MISSING)
        values[name] = spec.factories[name]() if default is MISSING else default
    # Straight into the instance dict: __setattr__ refuses every assignment.
    self.__dict__.update(values)
    if spec.post_init:
        self.__post_init__()


def _repr(self: Any) -> str:
    spec: _Spec = type(self).__record__
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in spec.shown)
    return f"{spec.qualname}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = type(self).__record__.key
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(type(self).__record__.key(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_METHODS: dict[str, Any] = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
}


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: T) -> T:
    """Make ``cls`` a frozen dataclass (compared, hashed and shown by its fields)."""
    if "__slots__" in cls.__dict__:
        raise TypeError(
            f"{cls.__name__}: @frozen keeps fields in the instance dict; drop __slots__"
        )
    if not cls.__dict__.get("__doc__"):
        # dataclasses would otherwise build one from inspect.signature, which is slow
        cls.__doc__ = f"{cls.__name__}({', '.join(inspect.get_annotations(cls))})"
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    spec = _Spec(cls, dataclasses.fields(cls))
    seen_default = ""
    for name in spec.init:
        if name in spec.defaults or name in spec.factories:
            seen_default = name
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    cls.__record__ = spec  # type: ignore[attr-defined]
    for name, method in _METHODS.items():
        if name not in cls.__dict__ or (name == "__hash__" and cls.__dict__[name] is None):
            setattr(cls, name, method)
        elif name in ("__setattr__", "__delattr__"):
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    return cls
