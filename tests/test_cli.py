"""One convention for every command: exit 2 for command-line mistakes, one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mcunets.cli import cli

TINY = str(Path(__file__).parent / "data" / "tiny_int8.tflite")


@pytest.mark.parametrize("args, message", [
    (["zoo", "--arch", "nope"], "unknown architecture 'nope'"),
    (["train", "--arch", "nope", "--out", "o"], "unknown architecture 'nope'"),
    (["build", "--arch", "nope", "--board", "esp32"], "unknown architecture 'nope'"),
    (["build", "--model", TINY, "--board", "nope"], "unknown board 'nope'"),
    (["profile", "--model", TINY, "--board", "nope"], "unknown board 'nope'"),
    (["validate", "--model", TINY, "--board", "nope"], "unknown board 'nope'"),
    (["build", "--model", TINY, "--board", "qemu-m4", "--runtime", "tflm"], "qemu-m4 runs mcunets, not tflm"),
    (["build", "--model", TINY, "--board", "esp32", "--runtime", "onnx"], "'onnx' is not one of"),
    (["train", "--arch", "mobilenet", "--alpha", "0", "--out", "o"], "alpha"),
    (["build", "--arch", "mobilenet", "--board", "esp32", "--resolution", "4"], "resolution"),
    (["zoo", "--arch", "mobilenet", "--classes", "0"], "classes"),
])
def test_command_line_mistakes_exit_2_in_every_command(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())  # nothing written


def test_command_list_is_not_cut_short():
    r = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert r.exit_code == 0
    listing = r.output.split("Commands:")[1].strip().splitlines()
    assert len(listing) == 8 and not any(line.endswith("...") for line in listing)
