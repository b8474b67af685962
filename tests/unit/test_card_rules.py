"""The card state machine as a table, and the channel decision."""

from __future__ import annotations

import itertools

import pytest

from unioncard.cards.models import CardStatus as S
from unioncard.cards.models import Channel
from unioncard.cards.rules import (
    TRANSITIONS,
    DuplicateTransition,
    choose_channel,
    is_behind,
    normalise_name_dots,
    transition,
)
from unioncard.errors import InvalidTransition

ALLOWED = {
    (S.NONE, S.PENDING),
    (S.FAILED, S.PENDING),
    (S.PENDING, S.NONE),
    (S.PENDING, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.NONE),
    (S.IN_PROGRESS, S.ISSUED),
    (S.IN_PROGRESS, S.FAILED),
    (S.FAILED, S.NONE),
    (S.ISSUED, S.PRODUCED),
    (S.ISSUED, S.DELIVERED),
    (S.PRODUCED, S.DELIVERED),
    (S.ISSUED, S.ACTIVATED),
    (S.PRODUCED, S.ACTIVATED),
    (S.DELIVERED, S.HANDED_OUT),
    (S.DELIVERED, S.ACTIVATED),
    (S.HANDED_OUT, S.ACTIVATED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_pair_of_statuses(current, target):
    if current == target:
        with pytest.raises(DuplicateTransition):
            transition(current, target)
    elif (current, target) in ALLOWED:
        assert transition(current, target) == TRANSITIONS[(current, target)]
    else:
        with pytest.raises(InvalidTransition) as exc:
            transition(current, target)
        assert current.value in exc.value.message and target.value in exc.value.message


def test_the_table_is_exactly_the_allowed_set():
    assert set(TRANSITIONS) == ALLOWED


@pytest.mark.parametrize(
    ("current", "target", "behind"),
    [
        (S.ACTIVATED, S.PRODUCED, True),
        (S.DELIVERED, S.DELIVERED, True),
        (S.PRODUCED, S.DELIVERED, False),
        (S.IN_PROGRESS, S.PRODUCED, False),
    ],
)
def test_late_events_are_behind(current, target, behind):
    assert is_behind(current, target) is behind


@pytest.mark.parametrize(
    ("id_type", "name", "charset", "channel"),
    [
        ("身份证", "王芳", "gbk", Channel.NORMAL),
        ("身份证", "王珺", "gbk", Channel.NORMAL),
        ("身份证", "王珺", "gb2312", Channel.SPECIAL),
        ("身份证", "𠮷田春", "gbk", Channel.SPECIAL),
        ("身份证", "阿依古丽•买买提", "gbk", Channel.NORMAL),  # the dot is normalised first
        ("身份证", "阿不都热依木·买买提·阿不都拉江", "gbk", Channel.SPECIAL),  # too long
        ("护照", "JOHN SMITH", "gbk", Channel.SPECIAL),
    ],
)
def test_channel(id_type, name, charset, channel):
    assert choose_channel(id_type, name, charset=charset, max_length=15)[0] == channel


def test_dots_become_one_form():
    assert normalise_name_dots("扎西•多吉・次仁．旺堆") == "扎西·多吉·次仁·旺堆"
