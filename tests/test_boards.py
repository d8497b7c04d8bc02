"""Board files: every shipped board validates; bad files fail with one line naming file and field."""

import json
import re
import tomllib

import pytest
from click.testing import CliRunner

from mcunets.boards import BoardError, board_names, load_board, load_boards, parse_board
from mcunets.cli import cli
from mcunets.resources import resource_dir

PLATFORMIO_BOARDS = ["esp32", "esp32c3", "esp32s3", "stm32f401", "stm32f746", "stm32h743", "stm32l4r5"]


def test_every_board_file_validates():
    boards = {b.name: b for b in load_boards()}
    assert set(PLATFORMIO_BOARDS) <= set(boards)
    for name in PLATFORMIO_BOARDS:
        b = boards[name]
        assert b.is_platformio and b.platformio.board and b.platformio.platform
        assert b.cpu_hz > 1_000_000 and b.sram_bytes > b.stack_bytes > 0 and b.flash_bytes > 0
        assert b.report_counter == "cycles" and b.serial_baud > 0
        assert set(b.runtimes) == {"tflm", "mcunets"}
        assert b.tflm.lib_deps or b.tflm.idf_components


def test_counters_match_cores():
    for name in PLATFORMIO_BOARDS:
        b = load_board(name)
        expected = {"arm": "dwt", "xtensa": "ccount"}.get(b.arch)
        if expected:
            assert b.cycle_counter == expected, name
    assert load_board("esp32c3").cycle_counter == "esp-pccr"
    assert load_board("stm32l4r5").platformio.board == "nucleo_l4r5zi"


def test_numbers_come_from_the_files():
    for name in PLATFORMIO_BOARDS:
        raw = tomllib.loads((resource_dir("boards") / f"{name}.toml").read_text())
        b = load_board(name)
        assert (b.cpu_hz, b.sram_bytes, b.flash_bytes) == (raw["cpu_hz"], raw["sram_bytes"], raw["flash_bytes"])


GOOD = (resource_dir("boards") / "stm32f401.toml").read_text()


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace("cpu_hz = 84_000_000\n", ""), "cpu_hz"),
    (lambda t: t.replace("sram_bytes = 98_304", 'sram_bytes = "96k"'), "sram_bytes"),
    (lambda t: t.replace('cycle_counter = "dwt"', 'cycle_counter = "ccount"'), "cycle_counter"),
    (lambda t: t.replace('kind = "platformio"', 'kind = "docker"'), "build.kind"),
    (lambda t: t.replace('framework = "arduino"', 'framework = "mbed"'), "platformio.framework"),
    (lambda t: re.sub(r'runtimes = \[.*\]', 'runtimes = ["onnx"]', t), "runtimes"),
    (lambda t: t.replace('counter = "cycles"', 'counter = "ns"'), "report.counter"),
    (lambda t: t.replace("vendor =", 'colour = "blue"\nvendor ='), "colour"),
    (lambda t: t.replace('name = "stm32f401"', 'name = "other"'), "name"),
    (lambda t: t.replace("[tflm]", "[tflm_]"), "tflm"),
])
def test_bad_board_is_one_line_naming_file_and_field(tmp_path, edit, field):
    path = tmp_path / "stm32f401.toml"
    path.write_text(edit(GOOD))
    with pytest.raises(BoardError) as e:
        parse_board(path)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("stm32f401.toml: ")
    assert f"'{field}" in msg


def test_not_toml(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("name = \n")
    with pytest.raises(BoardError, match=r"^x.toml: not valid TOML"):
        parse_board(path)


def test_unknown_board_lists_choices():
    with pytest.raises(BoardError, match="unknown board 'nope'; choose from .*stm32f401"):
        load_board("nope")


def test_simulated_kinds_validate_without_platformio_fields(tmp_path):
    path = tmp_path / "sim.toml"
    path.write_text('name = "sim"\nvendor = "x"\nmcu = "y"\ncore = "z"\ncpu_hz = 0\nsram_bytes = 1024\n'
                    'flash_bytes = 2048\n[build]\nkind = "host"\ncc = "cc"\n[report]\ncounter = "ns"\n'
                    '[host]\nanything = 1\n')
    b = parse_board(path)
    assert (b.build_kind, b.report_counter, b.platformio, b.toolchain.cc) == ("host", "ns", None, "cc")
    path.write_text(path.read_text() + '[platformio]\nboard = "x"\n')
    with pytest.raises(BoardError, match="'platformio' is only for build kind"):
        parse_board(path)
    # An emulated board says how QEMU runs it, in a checked [qemu] table.
    qemu = (resource_dir("boards") / "qemu-m4.toml").read_text().replace('name = "qemu-m4"', 'name = "q"')
    for broken, field in [(qemu.replace('machine = "mps2-an386"', ''), "qemu.machine"),
                          (qemu.replace('[qemu]', '[qemu]\nconsole = "jtag"'), "qemu.console"),
                          (qemu.replace('cc = "arm-none-eabi-gcc"', 'cc = 1'), "build.cc")]:
        (tmp_path / "q.toml").write_text(broken)
        with pytest.raises(BoardError, match=f"q.toml: field '{field}'"):
            parse_board(tmp_path / "q.toml")


def test_boards_command_table_and_json():
    runner = CliRunner()
    r = runner.invoke(cli, ["boards"])
    assert r.exit_code == 0, r.output
    for name in board_names():
        assert name in r.output
    r = runner.invoke(cli, ["boards", "--json"])
    assert r.exit_code == 0
    data = {b["name"]: b for b in json.loads(r.output)}
    assert data["stm32h743"]["cpu_hz"] == load_board("stm32h743").cpu_hz
    assert data["esp32"]["platformio"]["framework"] == "espidf"


def test_emulated_boards_stand_for_real_boards_of_their_instruction_set():
    boards = {b.name: b for b in load_boards()}
    emulated = [b for b in boards.values() if b.emulator]
    assert {b.name for b in emulated} >= {"qemu-m4", "qemu-m7", "qemu-rv32", "qemu-stm32f4"}
    for b in emulated:
        assert b.emulator.stands_for, b.name
        for real in b.emulator.stands_for:
            assert boards[real].is_platformio and boards[real].arch == b.arch, (b.name, real)
    r = CliRunner().invoke(cli, ["boards"])
    assert "stands for" in r.output and "esp32c3" in r.output.split("qemu-rv32")[1].splitlines()[0]
