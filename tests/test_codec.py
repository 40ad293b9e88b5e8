"""pcf.core.codec's fast paths of from_json: scalars taken as they are (``_as_is``) and records whose
``__dict__`` is set at once (``_SET_BY_INIT``) give what the general decoders and ``__init__`` give,
and refuse the same values with the same JSON paths."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import pytest

from pcf.core import codec
from pcf.core.codec import ABSENT, CodecError, from_json, key, record, to_json


@record
class Leaf:
    name: str
    share: float | None = None
    count: int = 0


@record
class Tree:
    title: str
    values: tuple[float, ...]
    shares: dict[str, float]
    leaves: tuple[Leaf, ...] = ()
    tags: dict[str, Any] = dataclasses.field(default_factory=dict)
    kind: Literal["a", "b"] = "a"
    flag: bool | str = False
    note: str = ABSENT
    from_: str | None = key("from", default=None)


@record
class Checked:
    """A record with its own check: built through its __init__, never its __dict__ set directly."""

    amount: float

    def __post_init__(self):
        if self.amount < 0:
            raise ValueError("amount below 0")


DATA = {"title": "t", "values": [1, 2.5, -0.0], "shares": {"x": 0.25, "y": 1},
        "leaves": [{"name": "a"}, {"name": "b", "share": 0.5, "count": 3}], "tags": {"k": [1, {"z": None}]},
        "kind": "b", "flag": "yes", "from": "here"}


def test_a_record_read_equals_the_one_built_by_its_init():
    tree = from_json(Tree, DATA)
    built = Tree(title="t", values=(1, 2.5, -0.0), shares={"x": 0.25, "y": 1},
                 leaves=(Leaf(name="a"), Leaf(name="b", share=0.5, count=3)), tags={"k": [1, {"z": None}]},
                 kind="b", flag="yes", from_="here")
    assert tree == built
    assert list(vars(tree)) == list(vars(built)) == [f.name for f in dataclasses.fields(Tree)]
    assert vars(tree.leaves[0]) == {"name": "a", "share": None, "count": 0}  # the defaults, as __init__ sets them
    assert tree.note is ABSENT and type(tree.values) is tuple and type(tree.values[0]) is int  # 1 kept as written
    assert to_json(tree) == {**DATA, "leaves": [{"name": "a", "share": None, "count": 0}, DATA["leaves"][1]]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        tree.title = "u"


def test_default_factories_give_each_record_its_own_value():
    one, two = from_json(Tree, {"title": "1", "values": [], "shares": {}}), from_json(Tree, {"title": "2",
                                                                                           "values": [], "shares": {}})
    assert one.tags == {} and one.tags is not two.tags


def test_a_record_with_its_own_check_is_built_through_init():
    assert Checked not in codec._SET_BY_INIT and Leaf in codec._SET_BY_INIT
    assert from_json(Checked, {"amount": 2}).amount == 2
    with pytest.raises(ValueError, match="amount below 0"):
        from_json(Checked, {"amount": -1.0})


@pytest.mark.parametrize("change, message", [
    (lambda d: d["values"].__setitem__(1, True), r"^\$\.values\[1\]: expected a number, got a boolean$"),
    (lambda d: d["values"].__setitem__(2, "3"), r"^\$\.values\[2\]: expected a number, got a string$"),
    (lambda d: d["shares"].__setitem__("y", None), r"^\$\.shares\.y: expected a number, got null$"),
    (lambda d: d["leaves"][1].__setitem__("count", 2.0), r"^\$\.leaves\[1\]\.count: expected an integer, got a number$"),
    (lambda d: d["leaves"][1].__setitem__("share", False),
     r"^\$\.leaves\[1\]\.share: expected a number or null, got a boolean$"),
    (lambda d: d.__setitem__("title", 1), r"^\$\.title: expected a string, got a number$"),
    (lambda d: d.__setitem__("kind", "c"), r"^\$\.kind: expected one of 'a', 'b', got a string$"),
    (lambda d: d.__setitem__("flag", 0), r"^\$\.flag: expected a boolean or a string, got a number$"),
    (lambda d: d["leaves"][0].__setitem__("colour", "red"), r"^\$\.leaves\[0\]\.colour: unknown field of Leaf"),
    (lambda d: d["leaves"][0].pop("name"), r"^\$\.leaves\[0\]\.name: missing \(required field of Leaf\)$"),
])
def test_wrong_values_are_refused_with_their_path(change, message):
    import copy

    data = copy.deepcopy(DATA)
    change(data)
    with pytest.raises(CodecError, match=message):
        from_json(Tree, data)
