"""The DomainError tree: every refusal names its rule, and the names are distinct."""

from __future__ import annotations

import inspect

import pytest

from domain import errors
from domain.errors import DomainError, PermissionDeniedError, RuleViolationError

ERROR_CLASSES = sorted(
    (
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, DomainError) and cls.__module__ == errors.__name__
    ),
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_names_its_rule_and_title(cls):
    assert cls.__name__.endswith("Error")
    assert cls.rule and cls.rule == cls.rule.lower() and " " not in cls.rule
    assert cls.title
    assert cls.__doc__


def test_rule_slugs_are_unique():
    rules = [cls.rule for cls in ERROR_CLASSES]
    assert len(rules) == len(set(rules))


def test_an_error_carries_its_detail_and_context():
    error = errors.NotSuspendedError("nothing suspended", field="scope")
    assert str(error) == "nothing suspended"
    assert (error.detail, error.context) == ("nothing suspended", {"field": "scope"})


@pytest.mark.parametrize(
    "cls",
    [
        errors.NotIssuerError,
        errors.NotAddresseeError,
        errors.NotOwnModelError,
        errors.NotPartyError,
        errors.NotAppellantError,
    ],
    ids=lambda cls: cls.__name__,
)
def test_who_may_act_errors_are_permission_errors(cls):
    assert issubclass(cls, PermissionDeniedError)


def test_a_lost_race_is_a_rule_violation():
    assert issubclass(errors.ConcurrencyError, RuleViolationError)
