"""Scopes and segments: normalisation, validation, and the algebra over them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.scope import Scope, Segment, representative, segment_grid


def scope(classes: list[str] | tuple[str, ...], places: list[str] | tuple[str, ...]) -> Scope:
    return Scope(user_classes=tuple(classes), jurisdictions=tuple(places))


def seg(user_class: str, jurisdiction: str) -> Segment:
    return Segment(user_class=user_class, jurisdiction=jurisdiction)


FOREIGN_EVERYWHERE = scope(["foreign_national"], ["*"])
FOREIGN_IN_CN_RU = scope(["foreign_national"], ["CN", "RU"])
EVERYONE = Scope.everyone()
NOBODY = Scope.nobody()

# --- normalisation -----------------------------------------------------------------------------


def test_duplicates_are_dropped_and_values_sorted():
    s = scope(["enterprise", "domestic", "enterprise"], ["US", "CN", "US"])
    assert s.user_classes == ("domestic", "enterprise")
    assert s.jurisdictions == ("CN", "US")


def test_the_wildcard_absorbs_every_other_value():
    s = scope(["domestic", "*", "enterprise"], ["US", "*"])
    assert (s.user_classes, s.jurisdictions) == (("*",), ("*",))


def test_scopes_naming_the_same_values_in_any_order_are_equal():
    assert scope(["b", "a"], ["US", "CN"]) == scope(["a", "b", "a"], ["CN", "US"])
    assert hash(scope(["b", "a"], ["US"])) == hash(scope(["a", "b"], ["US"]))


def test_everyone_and_nobody():
    assert scope(["*"], ["*"]) == EVERYONE
    assert NOBODY.is_empty
    assert not EVERYONE.is_empty


def test_a_scope_with_one_empty_axis_is_empty():
    assert scope(["domestic"], []).is_empty
    assert scope([], ["US"]).is_empty
    assert not scope(["domestic"], ["US"]).is_empty


def test_a_scope_is_immutable():
    with pytest.raises(ValidationError):
        FOREIGN_EVERYWHERE.user_classes = ("domestic",)  # type: ignore[misc]


def test_a_scope_accepts_lists_from_json():
    parsed = Scope.model_validate({"user_classes": ["x", "a"], "jurisdictions": ["US"]})
    assert parsed == scope(["a", "x"], ["US"])


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["US", "CN", "DE", "GB", "KP", "*"])
def test_iso_3166_alpha_2_codes_and_the_wildcard_are_jurisdictions(code):
    assert scope(["domestic"], [code]).jurisdictions == (code,)


@pytest.mark.parametrize("code", ["us", "USA", "U", "EU", "UK", "XX", "840", "", " US"])
def test_anything_else_is_not_a_jurisdiction(code):
    with pytest.raises(ValidationError):
        scope(["domestic"], [code])


@pytest.mark.parametrize("name", ["domestic", "foreign_national", "tier2", "a", "x" * 48, "*"])
def test_lowercase_slugs_and_the_wildcard_are_user_classes(name):
    assert scope([name], ["US"]).user_classes == (name,)


@pytest.mark.parametrize(
    "name", ["Domestic", "foreign-national", "2fa_users", "_x", "", "x" * 49, "a b", "**"]
)
def test_anything_else_is_not_a_user_class(name):
    with pytest.raises(ValidationError):
        scope([name], ["US"])


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        Scope.model_validate({"user_classes": ["*"], "jurisdictions": ["*"], "extra": 1})


def test_a_segment_validates_like_a_scope():
    assert str(seg("domestic", "US")) == "domestic/US"
    with pytest.raises(ValidationError):
        seg("Domestic", "US")
    with pytest.raises(ValidationError):
        seg("domestic", "USA")


# --- covers ------------------------------------------------------------------------------------


def test_a_scope_covers_the_segments_it_names():
    assert FOREIGN_IN_CN_RU.covers(seg("foreign_national", "CN"))
    assert not FOREIGN_IN_CN_RU.covers(seg("foreign_national", "US"))
    assert not FOREIGN_IN_CN_RU.covers(seg("domestic", "CN"))


def test_a_wildcard_axis_covers_every_value():
    assert FOREIGN_EVERYWHERE.covers(seg("foreign_national", "FR"))
    assert FOREIGN_EVERYWHERE.covers(seg("foreign_national", "*"))
    assert EVERYONE.covers(seg("*", "*"))


def test_the_wildcard_segment_stands_for_values_no_scope_names():
    # "*" as a segment value means "some value this scope does not name".
    assert not FOREIGN_IN_CN_RU.covers(seg("foreign_national", "*"))
    assert not FOREIGN_EVERYWHERE.covers(seg("*", "US"))


def test_the_empty_scope_covers_nothing():
    assert not NOBODY.covers(seg("*", "*"))
    assert not NOBODY.covers(seg("domestic", "US"))


# --- intersects and contains -------------------------------------------------------------------


def test_scopes_sharing_a_segment_intersect():
    assert FOREIGN_EVERYWHERE.intersects(FOREIGN_IN_CN_RU)
    assert EVERYONE.intersects(scope(["domestic"], ["US"]))


def test_scopes_disjoint_on_one_axis_do_not_intersect():
    assert not FOREIGN_IN_CN_RU.intersects(scope(["domestic"], ["CN"]))
    assert not FOREIGN_IN_CN_RU.intersects(scope(["foreign_national"], ["US"]))


def test_the_empty_scope_intersects_nothing():
    assert not NOBODY.intersects(EVERYONE)
    assert not EVERYONE.intersects(NOBODY)


def test_a_wider_scope_contains_a_narrower_one_and_not_the_reverse():
    assert EVERYONE.contains(FOREIGN_EVERYWHERE)
    assert FOREIGN_EVERYWHERE.contains(FOREIGN_IN_CN_RU)
    assert not FOREIGN_IN_CN_RU.contains(FOREIGN_EVERYWHERE)
    assert not FOREIGN_EVERYWHERE.contains(EVERYONE)


def test_every_scope_contains_the_empty_scope_and_itself():
    assert NOBODY.contains(NOBODY)
    assert FOREIGN_IN_CN_RU.contains(NOBODY)
    assert FOREIGN_IN_CN_RU.contains(FOREIGN_IN_CN_RU)


def test_the_empty_scope_contains_no_other_scope():
    assert not NOBODY.contains(FOREIGN_IN_CN_RU)


def test_segments_lists_the_named_pairs():
    assert list(FOREIGN_IN_CN_RU.segments()) == [
        seg("foreign_national", "CN"),
        seg("foreign_national", "RU"),
    ]
    assert list(NOBODY.segments()) == []


# --- the grid and representatives --------------------------------------------------------------


def test_the_grid_crosses_mentioned_values_with_the_wildcard():
    grid = segment_grid([FOREIGN_IN_CN_RU, scope(["domestic"], ["US"])])
    assert grid == [
        seg(u, j) for u in ("*", "domestic", "foreign_national") for j in ("*", "CN", "RU", "US")
    ]


def test_the_grid_of_no_scopes_is_the_default_segment():
    assert segment_grid([]) == [seg("*", "*")]


def test_a_mentioned_segment_is_its_own_representative():
    s = seg("foreign_national", "CN")
    assert representative(s, {"*", "foreign_national"}, {"*", "CN"}) is s


def test_an_unmentioned_value_is_represented_by_the_wildcard():
    classes, places = {"*", "foreign_national"}, {"*", "CN"}
    assert representative(seg("domestic", "CN"), classes, places) == seg("*", "CN")
    assert representative(seg("foreign_national", "FR"), classes, places) == seg(
        "foreign_national", "*"
    )
    assert representative(seg("domestic", "FR"), classes, places) == seg("*", "*")


# --- properties --------------------------------------------------------------------------------

CLASSES = ["*", "domestic", "enterprise", "foreign_national", "researcher"]
PLACES = ["*", "CN", "DE", "GB", "RU", "US"]
CONCRETE_CLASSES = [*CLASSES[1:], "student", "government"]
CONCRETE_PLACES = [*PLACES[1:], "FR", "JP", "BR"]

scopes = st.builds(
    scope,
    st.lists(st.sampled_from(CLASSES), max_size=4),
    st.lists(st.sampled_from(PLACES), max_size=4),
)
concrete_segments = st.builds(
    seg, st.sampled_from(CONCRETE_CLASSES), st.sampled_from(CONCRETE_PLACES)
)


@given(st.lists(scopes, max_size=5), concrete_segments)
def test_any_concrete_segment_behaves_like_its_representative(all_scopes, segment):
    grid = segment_grid(all_scopes)
    classes = {g.user_class for g in grid}
    places = {g.jurisdiction for g in grid}
    rep = representative(segment, classes, places)
    assert rep in grid
    for s in all_scopes:
        assert s.covers(segment) == s.covers(rep)


@given(scopes, scopes)
def test_intersects_means_some_grid_segment_lies_in_both(a, b):
    grid = segment_grid([a, b])
    assert a.intersects(b) == any(a.covers(g) and b.covers(g) for g in grid)
    assert a.intersects(b) == b.intersects(a)


@given(scopes, scopes)
def test_contains_means_every_grid_segment_of_the_other_lies_inside(a, b):
    grid = segment_grid([a, b])
    assert a.contains(b) == all(a.covers(g) for g in grid if b.covers(g))


@given(scopes, concrete_segments)
def test_covers_is_the_same_after_a_round_trip_through_json(a, segment):
    again = Scope.model_validate_json(a.model_dump_json())
    assert again == a
    assert again.covers(segment) == a.covers(segment)


@given(scopes)
def test_normalising_twice_changes_nothing(a):
    assert scope(a.user_classes, a.jurisdictions) == a
    assert list(a.user_classes) == sorted(set(a.user_classes))
    assert "*" not in a.user_classes or a.user_classes == ("*",)
