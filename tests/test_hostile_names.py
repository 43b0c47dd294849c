"""Issue 27, names that collide: a file node or a per-tap analysis named like a node lmbayes
generates (``csf_K``, ``tap_K``, ``{analysis}_K``) is refused by the loader, and `network
check` reports every such collision with the file, the line and the node."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import lmbayes
from lmbayes import networks
from lmbayes.cli.main import cli
from lmbayes.spec import MAX_TAPS

NETWORK = networks.available()["breast"].read_text(encoding="utf-8")


def line_of(text: str, pattern: str) -> int:
    """The line of the end of the first match (1-based)."""
    return text[: re.search(pattern, text, flags=re.M).end()].count("\n") + 1


# (what, edits, the node named in the report, the pattern of the line reported in the edited
# file: the node's first field, as for every error about a node's id, or the field itself)
COLLISIONS = {
    "tap_test named csf": ([(r"^  ctc:$", "  csf:")], "csf", r"^  csf:\n.*$"),
    "sign named ctc_1": ([(r"^  cranial_nerve_palsy:$", "  ctc_1:")], "ctc_1", r"^  ctc_1:\n.*$"),
    "sign named like a tap beyond the file's taps": ([(r"^  cranial_nerve_palsy:$", f"  protein_{MAX_TAPS}:")], f"protein_{MAX_TAPS}", rf"^  protein_{MAX_TAPS}:\n.*$"),
    "test named tap_2": ([(r"^  cranial_nerve_palsy:$", "  tap_2:")], "tap_2", r"^  tap_2:\n.*$"),
    "analysis named like another's tap": ([(r"^  protein:$", "  cells_1:")], "cells_1", r"^  cells_1:\n.*$"),
    "analysis named tap": ([(r"^  ctdna:$", "  tap:")], "tap", r"^  tap:\n.*$"),
    "group named like another analysis": ([(r"^    group: ctc$", "    group: cells")], "ctc", r"^    group: cells$"),
    "group named like a generated node": ([(r"^    group: ctc$", "    group: csf_1")], "ctc", r"^    group: csf_1$"),
}


def edited(edits: list[tuple[str, str]]) -> str:
    text = NETWORK
    for pattern, new in edits:
        assert re.search(pattern, text, flags=re.M), pattern
        text = re.sub(pattern, new, text, count=1, flags=re.M)
    return text


@pytest.mark.parametrize("what", sorted(COLLISIONS), ids=sorted(COLLISIONS))
def test_network_check_reports_the_collision_with_file_line_and_node(tmp_path, what):
    edits, node, line_pattern = COLLISIONS[what]
    text = edited(edits)
    path = tmp_path / "clash.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["network", "check", str(path)])
    assert result.exit_code == 1, result.output
    clash = [line for line in result.stdout.splitlines() if "generate" in line or "group" in line]
    assert clash, result.stdout
    assert clash[0].startswith(f"clash.yaml, line {line_of(text, line_pattern)}: node '{node}', field "), clash[0]
    with pytest.raises(lmbayes.NetworkFileError):
        lmbayes.load_network(path)
    run = CliRunner().invoke(cli, ["taps", "--network", str(path)])
    assert run.exit_code == 1 and run.stderr.startswith("Error: clash.yaml, line "), run.output


def test_every_collision_is_reported_at_once(tmp_path):
    text = edited([(r"^  ctc:$", "  csf:"), (r"^  cranial_nerve_palsy:$", "  cells_3:"), (r"^  limb_weakness:$", "  tap_1:")])
    path = tmp_path / "clashes.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["network", "check", str(path)])
    assert result.exit_code == 1
    named = re.findall(r"node '(\w+)', field 'id'", result.stdout)
    assert sorted(named) == ["cells_3", "csf", "tap_1"], result.stdout
    assert result.stderr.strip() == "3 problems in " + str(path)


def test_a_group_with_control_characters_is_refused_not_shown(tmp_path):
    path = tmp_path / "esc.yaml"
    path.write_text(NETWORK.replace("    group: routine", '    group: "rout\\x1b[31mine"', 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["network", "check", str(path)], color=True)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "rout\\x1b[31mine" in result.stdout


@pytest.mark.parametrize("name", sorted(networks.available()), ids=str)
def test_the_shipped_networks_have_no_collision(name):
    result = CliRunner().invoke(cli, ["network", "check", str(networks.available()[name])])
    assert result.exit_code == 0, result.output
