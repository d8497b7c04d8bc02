"""The report protocol parser (mcunets.report) against recorded good and broken logs, and fuzzed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mcunets.errors import McunetsError
from mcunets.report import Report, ReportParser, format_table, parse_report, parse_validation

DATA = Path(__file__).parent / "data"


def _records(path: Path) -> list[dict[str, str]]:
    """The report's records parsed independently of mcunets.report (split on spaces and '=')."""
    recs = []
    for line in path.read_text().splitlines():
        if line.startswith("@mcu "):
            name, *fields = line[5:].split(" ")
            recs.append({"_": name, **dict(f.split("=", 1) for f in fields)})
    return recs


@pytest.mark.parametrize("name", ["report_host_fake.log", "report_qemu-m4_fake.log", "report_tiny_board.log"])
def test_good_logs_parse_to_their_records(name):
    path = DATA / name
    report = parse_report(path.read_bytes())
    recs = _records(path)
    meta = next(r for r in recs if r["_"] == "meta")
    assert (report.model, report.runtime, report.board, report.counter) == (
        meta["model"], meta["runtime"], meta["board"], meta["counter"])
    assert report.cpu_hz == int(meta["cpu_hz"])
    layers = [r for r in recs if r["_"] == "layer"]
    assert [(l.index, l.op, l.count) for l in report.layers] == [
        (int(r["i"]), r["op"], int(r["count"])) for r in layers]
    runs = [int(r["count"]) for r in recs if r["_"] == "run"]
    assert list(report.runs) == runs
    assert (report.min, report.max) == (min(runs), max(runs))
    assert report.median == sorted(runs)[(len(runs) - 1) // 2]
    outputs = [r for r in recs if r["_"] == "output"]
    assert [o.data for o in report.outputs] == [bytes.fromhex(r["hex"]) for r in outputs]
    end = next(r for r in recs if r["_"] == "end")
    assert int(end["records"]) == len(recs)


def test_reset_mid_report_crlf_and_noise_keep_the_complete_report():
    report = parse_report((DATA / "report_reset_crlf.log").read_bytes())
    assert report == parse_report((DATA / "report_qemu-m4_fake.log").read_bytes())


def test_the_last_of_two_reports_wins():
    assert parse_report((DATA / "report_two_reports.log").read_text()).board == "qemu-m4"


@pytest.mark.parametrize(
    "name, message",
    [
        ("report_truncated.log", "incomplete report: no end record after 7 records"),
        ("report_cut_last_line.log", "malformed field 'rec' in end record"),
        ("report_lost_line.log", "end records=13 but the report has 12 records"),
        ("report_version2.log", "report protocol v=2; this mcunets reads v=1"),
        ("report_garbage_field.log", "report line 5: malformed field"),
        ("report_summary_mismatch.log", "summary min=395200 disagrees with the run records (395280)"),
        ("report_no_report.log", "no report found"),
        ("report_negative_count.log", "layer count='-2680' is not a non-negative integer"),
    ],
)
def test_broken_logs_give_one_line_errors(name, message):
    with pytest.raises(McunetsError) as info:
        parse_report((DATA / name).read_bytes())
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_streaming_parser_returns_the_report_at_its_end():
    lines = (DATA / "report_host_fake.log").read_text().splitlines()
    parser = ReportParser()
    results = [parser.feed(line) for line in lines]
    assert all(r is None for r in results[:-1])
    assert isinstance(results[-1], Report)
    assert not parser.in_report


def test_unknown_fields_and_records_of_later_versions_are_ignored():
    lines = (DATA / "report_host_fake.log").read_text().splitlines()
    n = len(lines) + 1
    lines.insert(2, "@mcu board_note temp_c=41")
    lines[3] += " heap_used=12"
    lines[-1] = f"@mcu end records={n}"
    report = parse_report("\n".join(lines) + "\n")
    assert report == parse_report((DATA / "report_host_fake.log").read_text())


def test_validation_session():
    text = ("boot\n@mcu begin v=1\n@mcu meta model=m runtime=mcunets board=host cpu_hz=0 counter=ns\n"
            "@mcu ready inputs=1\n@mcu output i=0 dtype=int8 hex=01ff\n@mcu done\n"
            "@mcu output i=0 dtype=int8 hex=7f80\n@mcu done\n@mcu end records=8\n")
    assert [[o.data for o in s] for s in parse_validation(text)] == [[b"\x01\xff"], [b"\x7f\x80"]]
    with pytest.raises(McunetsError, match="rejected its input: bad_input_length"):
        parse_validation("@mcu begin v=1\n@mcu error msg=bad_input_length\n")
    with pytest.raises(McunetsError, match="no validation session"):
        parse_validation("nothing here\n")


def _mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:  # truncation
        return data[: rng.randrange(len(data))]
    if kind == 1:  # garbage bytes
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == 2:  # duplicated begin somewhere
        lines = data.split(b"\n")
        lines.insert(rng.randrange(len(lines)), b"@mcu begin v=1")
        return b"\n".join(lines)
    if kind == 3:  # a line lost or duplicated
        lines = data.split(b"\n")
        k = rng.randrange(len(lines))
        if rng.random() < 0.5:
            del lines[k]
        else:
            lines.insert(k, lines[k])
        return b"\n".join(lines)
    if kind == 4:  # inserted random bytes
        k = rng.randrange(len(data))
        return data[:k] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) + data[k:]
    lines = data.split(b"\n")  # two lines swapped
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def test_fuzzed_logs_give_a_report_or_a_mcunets_error():
    rng = random.Random(20261127)
    sources = [(DATA / n).read_bytes() for n in
               ("report_host_fake.log", "report_qemu-m4_fake.log", "report_tiny_board.log")]
    outcomes = {"report": 0, "error": 0}
    for _ in range(3000):
        data = rng.choice(sources)
        for _ in range(rng.randint(1, 3)):
            data = _mutate(data, rng) or b"x"
        try:
            report = parse_report(data)
        except McunetsError as e:
            assert str(e) and "\n" not in str(e)
            outcomes["error"] += 1
            continue
        assert isinstance(report, Report)
        # Whatever survived is internally consistent.
        assert report.min <= report.median <= report.max
        assert len(report.runs) >= 1 and report.min == min(report.runs)
        outcomes["report"] += 1
    assert outcomes["report"] > 30 and outcomes["error"] > 1000


def test_format_table_still_aligns_numbers():
    text = format_table(["a", "n"], [["x", "1,000"], ["yy", "5"]])
    assert text.splitlines()[2].endswith("1,000") and text.splitlines()[3].endswith("    5")
