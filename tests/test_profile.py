"""mcunets profile: layer shapes and MACs from the .tflite, the profile table/JSON/chart, reading a
report from a log and from a serial port (a pseudo-terminal), and validation over serial."""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mcunets import profile as prof
from mcunets import targets
from mcunets.cli import cli
from mcunets.errors import McunetsError
from mcunets.report import parse_report

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_int8.tflite"
BOARD_LOG = DATA / "report_tiny_board.log"


def _interpreter_layers(model: bytes):
    """Operators with input/output shapes as TensorFlow's interpreter sees them (independent of the
    flatbuffer walk in mcunets.profile)."""
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_content=model)
    shapes = {t["index"]: tuple(int(d) for d in t["shape"]) for t in interp.get_tensor_details()}
    return [(op["op_name"], [shapes.get(i) for i in op["inputs"]], shapes[op["outputs"][0]])
            for op in interp._get_ops_details()]


def test_layer_info_matches_the_interpreter():
    model = TINY.read_bytes()
    layers = prof.layer_info(model, use_engine=False)
    ops = _interpreter_layers(model)
    assert [(l.op, l.output_shape) for l in layers] == [(name, out) for name, _, out in ops]
    for l, (name, ins, out) in zip(layers, ops):
        n_out = int(np.prod(out))
        expected = {
            "CONV_2D": lambda: n_out * int(np.prod(ins[1][1:])),
            "DEPTHWISE_CONV_2D": lambda: n_out * ins[1][1] * ins[1][2],
            "FULLY_CONNECTED": lambda: n_out * ins[1][-1],
        }.get(name, lambda: 0)()
        assert l.macs == expected, name
    assert sum(l.macs for l in layers) > 0


def test_engine_macs_agree_on_weighted_layers():
    model = TINY.read_bytes()
    mine = prof.layer_info(model, use_engine=False)
    theirs = prof.layer_info(model)
    assert [(l.op, l.output_shape) for l in theirs] == [(l.op, l.output_shape) for l in mine]
    for a, b in zip(mine, theirs):
        if a.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert a.macs == b.macs


def test_layer_info_rejects_a_non_model():
    with pytest.raises(McunetsError, match="not a TFLite model"):
        prof.layer_info(b"\x00" * 16)


def test_profile_joins_the_report_with_the_model():
    report = parse_report(BOARD_LOG.read_text())
    layers = prof.layer_info(TINY.read_bytes())
    p = prof.build_profile(report, layers)
    assert not p["notes"]
    total = sum(l.count for l in report.layers)
    assert sum(r["percent"] for r in p["layers"]) == pytest.approx(100.0)
    for row, rec, info in zip(p["layers"], report.layers, layers):
        assert (row["i"], row["op"], row["count"], row["macs"]) == (rec.index, rec.op, rec.count, info.macs)
        assert row["output_shape"] == list(info.output_shape)
        assert row["percent"] == 100.0 * rec.count / total
        assert row["ms"] == rec.count / report.cpu_hz * 1e3
        assert row["count_per_mac"] == (rec.count / info.macs if info.macs else None)
    assert p["total"]["macs"] == sum(l.macs for l in layers)
    assert p["total"]["median"] == report.median
    text = prof.format_profile(p)
    for rec in report.layers:
        assert f"{rec.count:,}" in text
    assert f"median {report.median:,}" in text


def test_outputs_are_checked_against_the_reference_when_the_seed_is_known():
    from mcunets.report import Report, OutputRecord
    from mcunets.tflm import run_reference

    model = TINY.read_bytes()
    report = parse_report(BOARD_LOG.read_text())
    assert report.seed is None and prof.outputs_match_reference(report, model) is None
    (want,) = run_reference(model, targets.runner_inputs(targets.io_specs(model)[0], 77))
    good = dataclasses.replace(report, seed=77, outputs=(OutputRecord(0, "int8", want.tobytes()),))
    assert prof.outputs_match_reference(good, model) is True
    flipped = bytes([want.tobytes()[0] ^ 1]) + want.tobytes()[1:]
    bad = dataclasses.replace(good, outputs=(OutputRecord(0, "int8", flipped),))
    assert prof.outputs_match_reference(bad, model) is False
    assert isinstance(bad, Report)


def test_profile_without_matching_model_leaves_shapes_out():
    report = parse_report((DATA / "report_host_fake.log").read_text())
    p = prof.build_profile(report, prof.layer_info(TINY.read_bytes()))
    assert p["notes"] and all(r["macs"] is None for r in p["layers"])
    assert all(r["ms"] == r["count"] / 1e6 for r in p["layers"])  # ns counter: no clock needed
    prof.format_profile(p)


def test_cli_profile_from_a_log_writes_json_and_chart(tmp_path):
    out = tmp_path / "prof"
    res = CliRunner().invoke(cli, ["profile", "--log", str(BOARD_LOG), "--model", str(TINY), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "profile.json").read_text())
    report = parse_report(BOARD_LOG.read_text())
    assert [r["count"] for r in data["layers"]] == [l.count for l in report.layers]
    png = (out / "profile.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(out / "profile.png")
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert "DEPTHWISE_CONV_2D" in res.output


@pytest.mark.slow
def test_cli_profile_on_the_host_board(tmp_path):
    res = CliRunner().invoke(cli, ["profile", "--board", "host", "--model", str(TINY), "--runs", "3",
                                   "--seed", "4242", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "profile.json").read_text())
    report = parse_report((tmp_path / "report.log").read_text())
    assert report.seed == 4242
    assert data["outputs_match_reference"] is True
    assert "bit-exact with the TFLite reference" in res.output
    assert data["counter"] == "ns" and len(data["total"]["runs"]) == 3
    assert [r["op"] for r in data["layers"]] == [l.op for l in prof.layer_info(TINY.read_bytes())]
    assert [r["count"] for r in data["layers"]] == [l.count for l in report.layers]
    # The report names its model; its log is refused for another model.
    import hashlib

    assert report.sha256 == hashlib.sha256(TINY.read_bytes()).hexdigest()[:16]
    other = tmp_path / "other.tflite"
    other.write_bytes(TINY.read_bytes() + b"\0" * 16)  # the same graph in another file
    res = CliRunner().invoke(cli, ["profile", "--log", str(tmp_path / "report.log"), "--model", str(other),
                                   "--out", str(tmp_path / "again")])
    assert res.exit_code == 1 and "not this --model" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "again").exists()


def test_log_without_model_hash_is_refused_for_a_model_with_other_operators(tmp_path):
    """report_host_fake.log (no sha256=) has CONV_2D, ADD, FULLY_CONNECTED: not the tiny model's layers."""
    res = CliRunner().invoke(cli, ["profile", "--log", str(DATA / "report_host_fake.log"), "--model",
                                   str(TINY), "--out", str(tmp_path / "p")])
    assert res.exit_code == 1 and "reports 3 layers that are not this --model's" in res.output
    assert not (tmp_path / "p").exists()


def test_float_model_is_refused_without_leaving_folders(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((8, 8, 3))
    model = tf.keras.Model(inp, tf.keras.layers.Conv2D(4, 3)(inp))
    path = tmp_path / "float.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    for cmd in (["profile", "--board", "host"], ["validate", "--board", "host"]):
        res = CliRunner().invoke(cli, [*cmd, "--model", str(path), "--out", str(tmp_path / "o")])
        assert res.exit_code == 1 and "only int8 is supported" in res.output, res.output
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, code, message", [
    (["--log", str(DATA / "report_truncated.log")], 1, "incomplete report"),
    (["--log", str(DATA / "report_garbage_field.log")], 1, "malformed field"),
    ([], 2, "exactly one of --board, --port or --log"),
    (["--board", "qemu-m4"], 2, "--board needs --model"),
    (["--board", "stm32l4r5", "--model", str(TINY)], 2, "is a real board"),
    (["--board", "nope", "--model", str(TINY)], 2, "unknown board 'nope'"),
])
def test_cli_profile_errors_are_one_line(tmp_path, args, code, message):
    res = CliRunner().invoke(cli, ["profile", "--out", str(tmp_path), *args])
    assert res.exit_code == code
    assert message in res.output
    assert "Traceback" not in res.output


def _pty_pair():
    master, slave = pty.openpty()
    return master, os.ttyname(slave), slave


def test_report_read_from_a_serial_port():
    master, name, slave = _pty_pair()
    text = ("boot noise\r\n@mcu layer i=9 op=ADD count=1\r\n"  # the tail of an earlier report
            + (DATA / "report_qemu-m4_fake.log").read_text().replace("\n", "\r\n"))

    def board():
        time.sleep(0.5)  # the port is open (opening it drops what was sent before): "reset" the board
        for k in range(0, len(text), 37):
            os.write(master, text[k:k + 37].encode())

    t = threading.Thread(target=board)
    t.start()
    try:
        report, raw = prof.read_serial_report(name, 115200, timeout=10)
    finally:
        t.join()
        os.close(master)
        os.close(slave)
    assert report == parse_report((DATA / "report_qemu-m4_fake.log").read_text())
    assert "boot noise" in raw


def test_serial_timeout_mid_report_is_one_line():
    master, name, slave = _pty_pair()
    t = threading.Timer(0.2, os.write, (master, b"@mcu begin v=1\n@mcu meta model=m runtime=mcunets "
                                                b"board=b cpu_hz=1 counter=cycles\n"))
    t.start()
    try:
        with pytest.raises(McunetsError, match="timed out after 0.5 s in the middle of a report"):
            prof.read_serial_report(name, 115200, timeout=0.5)
    finally:
        t.join()
        os.close(master)
        os.close(slave)


def test_validation_over_serial_with_the_host_firmware(tmp_path):
    """The host validation firmware behind a pseudo-terminal plays a board on a serial port."""
    from tests.test_targets import fake_model, fake_sources

    fw = targets.build(fake_sources(), "host", tmp_path, validate=True)
    master, name, slave = _pty_pair()
    # Started a moment after validate_serial opens the port, like a board reset by the opening.
    board = subprocess.Popen(["sh", "-c", f"sleep 0.5; exec {fw.path}"], stdin=master, stdout=master)
    try:
        rng = np.random.default_rng(5)
        samples = [[rng.integers(-128, 128, (1, 64), dtype=np.int8)] for _ in range(3)]
        got = prof.validate_serial(name, 115200, samples, timeout=10)
        assert [g[0] for g in got] == [fake_model(s[0]) for s in samples]
    finally:
        board.kill()
        board.wait()
        os.close(master)
        os.close(slave)
