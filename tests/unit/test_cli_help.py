"""``kinfolk COMMAND --help`` tells what each argument of the everyday commands is (the README
sends users there); a bare ``GROUP`` or ``person`` left them guessing what to type."""

from __future__ import annotations

import argparse

import pytest

from kinfolk.cli.main import build_parser

EVERYDAY = ["scan", "people", "name", "rename", "merge", "move", "reject", "confirm", "hide", "set",
            "suggestions", "photos", "faces", "forget", "verify"]


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", EVERYDAY)
def test_every_argument_says_what_it_is(command):
    undocumented = [a.option_strings or a.dest for a in subparsers()[command]._actions
                    if not isinstance(a, argparse._HelpAction) and not a.help and "--json" not in a.option_strings]
    assert not undocumented, f"kinfolk {command} --help leaves these unexplained: {undocumented}"


def test_counts_are_said_in_words():
    from kinfolk.cli.common import counted

    assert [counted(n, "face") for n in (0, 1, 2, 1234)] == ["0 faces", "1 face", "2 faces", "1,234 faces"]
