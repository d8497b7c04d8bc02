"""Reports: tables for the terminal, and the on-board report protocol (docs/report-protocol.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from mcunets.errors import McunetsError


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; columns whose cells all look numeric are right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def numeric(i):
        return all(_looks_numeric(r[i]) for r in cells[1:]) and len(cells) > 1

    right = [numeric(i) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    t = text.replace(",", "").replace("%", "").replace("+", "").replace("-", "", 1).strip()
    try:
        float(t)
        return True
    except ValueError:
        return False


# ---- The on-board report protocol (docs/report-protocol.md) --------------------------------------

PROTOCOL_VERSION = 1
PREFIX = "@mcu "
COUNTERS = ("cycles", "instructions", "ns", "ticks")

# Record order inside a report; a record may repeat only where the protocol says so.
_RANK = {"begin": 0, "meta": 1, "memory": 2, "layer": 3, "run": 4, "summary": 5, "output": 6, "end": 7}
_ONCE = {"meta", "memory", "summary"}
_OP = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_WORD = re.compile(r"[!-~]+\Z")  # printable ASCII, no spaces
_HEX = re.compile(r"(?:[0-9a-f]{2})*\Z")


@dataclass(frozen=True)
class LayerRecord:
    index: int
    op: str
    count: int


@dataclass(frozen=True)
class OutputRecord:
    index: int
    dtype: str
    data: bytes


@dataclass(frozen=True)
class Report:
    """One complete, consistent report, as a board printed it."""

    version: int
    model: str
    runtime: str
    board: str
    cpu_hz: int
    counter: str
    arena_used: int
    arena_size: int
    model_bytes: int
    layers: tuple[LayerRecord, ...]
    runs: tuple[int, ...]
    min: int
    median: int
    max: int
    outputs: tuple[OutputRecord, ...]
    seed: int | None = None  # meta seed=: the xorshift32 seed the board filled its inputs from
    sha256: str | None = None  # meta sha256=: the first 16 hex digits of the model's SHA-256

    def as_dict(self) -> dict:
        return {
            "version": self.version, "model": self.model, "runtime": self.runtime,
            "board": self.board, "cpu_hz": self.cpu_hz, "counter": self.counter,
            "arena_used": self.arena_used, "arena_size": self.arena_size,
            "model_bytes": self.model_bytes,
            "layers": [{"i": l.index, "op": l.op, "count": l.count} for l in self.layers],
            "runs": list(self.runs), "min": self.min, "median": self.median, "max": self.max,
            "outputs": [{"i": o.index, "dtype": o.dtype, "hex": o.data.hex()} for o in self.outputs],
            "seed": self.seed, "sha256": self.sha256,
        }


class _Invalid(Exception):
    pass


def _int(fields: dict, key: str, record: str) -> int:
    if key not in fields:
        raise _Invalid(f"{record} record has no {key}=")
    v = fields[key]
    if not v.isdigit() or not v.isascii() or len(v) > 20:
        raise _Invalid(f"{record} {key}={v!r} is not a non-negative integer")
    return int(v)


def _index(fields: dict, record: str, seen: list) -> int:
    """A numbered record's i=, which must number the records of its kind 0, 1, 2, ... in order."""
    i = _int(fields, "i", record)
    if i != len(seen):
        raise _Invalid(f"{record} i={i} where i={len(seen)} was expected")
    return i


def _str(fields: dict, key: str, record: str) -> str:
    if key not in fields:
        raise _Invalid(f"{record} record has no {key}=")
    return fields[key]


def record_of(line: str) -> tuple[str, dict[str, str]] | None:
    """Split one console line into (record name, fields), or None if it carries no record.

    Text before the last ``@mcu `` on a line is dropped: a board reset can cut a line short, and the
    first line after the reset then continues it. Raises ``_Invalid`` for a malformed record.
    """
    at = line.rfind(PREFIX)
    if at < 0:
        return None
    body = line[at + len(PREFIX):].rstrip("\r\n")
    tokens = body.split(" ")
    name = tokens[0]
    if not name or not _WORD.match(name) or "=" in name:
        raise _Invalid(f"malformed record name {name!r}")
    fields: dict[str, str] = {}
    for tok in tokens[1:]:
        key, eq, value = tok.partition("=")
        if not eq or not key or not value or not _WORD.match(tok):
            raise _Invalid(f"malformed field {tok[:40]!r} in {name} record")
        if key in fields:
            raise _Invalid(f"field {key}= twice in {name} record")
        fields[key] = value
    return name, fields


class ReportParser:
    """Parses the report protocol line by line (from a serial port) or from a whole log.

    ``feed`` returns a :class:`Report` when an ``end`` closes a valid report and None otherwise;
    ``error`` holds why the current or last report is invalid. Lines outside a report are ignored;
    a ``begin`` inside a report (a board reset) discards the partial report.
    """

    def __init__(self) -> None:
        self.line_no = 0
        self.reports: list[Report] = []
        self.error: str | None = None  # why the most recent report was invalid
        self._open = False
        self._bad = False  # the open report is invalid: skip to its end or the next begin
        self._state: dict = {}

    @property
    def in_report(self) -> bool:
        return self._open

    def feed(self, line: str | bytes) -> Report | None:
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        self.line_no += 1
        try:
            rec = record_of(line)
        except _Invalid as e:
            if self._open and not self._bad:
                self._fail(str(e))
            return None
        if rec is None:
            return None
        name, fields = rec
        if name == "begin":
            self._start()
        if not self._open:
            return None  # a record outside any report (the port was opened mid-report)
        self._state["records"] += 1
        if name == "end":
            self._open = False
            if self._bad:
                return None
            try:
                report = self._finish(fields)
            except _Invalid as e:
                self._fail(str(e))
                self._open = False
                return None
            self.reports.append(report)
            self.error = None
            return report
        if self._bad:
            return None
        try:
            self._record(name, fields)
        except _Invalid as e:
            self._fail(str(e))
        return None

    def _fail(self, why: str) -> None:
        self._bad = True
        self.error = f"report line {self.line_no}: {why}"

    def _start(self) -> None:
        self._open = True
        self._bad = False
        self.error = None
        self._state = {"records": 0, "rank": -1, "seen": set(), "layers": [], "runs": [],
                       "outputs": []}

    def _record(self, name: str, f: dict) -> None:
        s = self._state
        rank = _RANK.get(name)
        if rank is None:
            return  # a record of a later protocol version: counted, otherwise ignored
        if rank < s["rank"]:
            raise _Invalid(f"{name} record out of order")
        if name in _ONCE and name in s["seen"]:
            raise _Invalid(f"second {name} record")
        s["rank"] = rank
        s["seen"].add(name)
        if name == "begin":
            v = _int(f, "v", name)
            if v != PROTOCOL_VERSION:
                raise _Invalid(f"report protocol v={v}; this mcunets reads v={PROTOCOL_VERSION}")
        elif name == "meta":
            s["meta"] = {k: _str(f, k, name) for k in ("model", "runtime", "board")}
            s["meta"]["cpu_hz"] = _int(f, "cpu_hz", name)
            counter = _str(f, "counter", name)
            if counter not in COUNTERS:
                raise _Invalid(f"meta counter={counter!r} is not one of {', '.join(COUNTERS)}")
            s["meta"]["counter"] = counter
            if "seed" in f:
                s["meta"]["seed"] = _int(f, "seed", name)
            if "sha256" in f:
                s["meta"]["sha256"] = _str(f, "sha256", name)
        elif name == "memory":
            s["memory"] = {k: _int(f, k, name) for k in ("arena_used", "arena_size", "model_bytes")}
        elif name == "layer":
            i = _index(f, name, s["layers"])
            op = _str(f, "op", name)
            if not _OP.match(op):
                raise _Invalid(f"layer op={op!r} is not an operator name")
            s["layers"].append(LayerRecord(i, op, _int(f, "count", name)))
        elif name == "run":
            _index(f, name, s["runs"])
            s["runs"].append(_int(f, "count", name))
        elif name == "summary":
            s["summary"] = {k: _int(f, k, name) for k in ("runs", "min", "median", "max")}
        elif name == "output":
            i = _index(f, name, s["outputs"])
            text = _str(f, "hex", name)
            if not _HEX.match(text):
                raise _Invalid(f"output i={i} hex= is not lowercase hex bytes")
            s["outputs"].append(OutputRecord(i, _str(f, "dtype", name), bytes.fromhex(text)))

    def _finish(self, f: dict) -> Report:
        s = self._state
        n = _int(f, "records", "end")
        if n != s["records"]:
            raise _Invalid(f"end records={n} but the report has {s['records']} records (lines lost?)")
        for name in ("meta", "memory", "summary"):
            if name not in s:
                raise _Invalid(f"report has no {name} record")
        runs, summ = s["runs"], s["summary"]
        if summ["runs"] != len(runs) or not runs:
            raise _Invalid(f"summary runs={summ['runs']} but the report has {len(runs)} run records")
        ordered = sorted(runs)
        expect = {"min": ordered[0], "median": ordered[(len(ordered) - 1) // 2], "max": ordered[-1]}
        for k, v in expect.items():
            if summ[k] != v:
                raise _Invalid(f"summary {k}={summ[k]} disagrees with the run records ({v})")
        return Report(
            version=PROTOCOL_VERSION, **s["meta"], **s["memory"], layers=tuple(s["layers"]),
            runs=tuple(runs), min=summ["min"], median=summ["median"], max=summ["max"],
            outputs=tuple(s["outputs"]),
        )

    def finish(self) -> Report:
        """The last valid report seen, or a McunetsError saying why there is none."""
        if self.reports:
            return self.reports[-1]
        if self.error:
            raise McunetsError(f"invalid report: {self.error}")
        if self._open:
            raise McunetsError(
                f"incomplete report: no end record after {self._state['records']} records "
                "(the board stopped, was reset without restarting, or the read timed out)"
            )
        raise McunetsError("no report found: no '@mcu begin' line in the board's output")


def split_lines(text: str | bytes) -> list[str]:
    """Console text as lines; a last line without its newline is kept (it may be cut short)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text.split("\n")


def parse_report(text: str | bytes) -> Report:
    """The last complete, valid report in a console log (see :class:`ReportParser`)."""
    parser = ReportParser()
    # A last line without its newline is fed too: if it was cut short, the report is incomplete or
    # its end count disagrees, and either way it is not accepted.
    for line in split_lines(text):
        parser.feed(line)
    return parser.finish()


def parse_validation(text: str | bytes) -> list[tuple[OutputRecord, ...]]:
    """The outputs of every inference in a validation session (docs/report-protocol.md).

    The session is the last one in ``text`` (a ``begin`` restarts it); each ``done`` closes one
    inference. An ``error`` record from the board becomes a McunetsError.
    """
    samples: list[tuple[OutputRecord, ...]] | None = None
    current: list[OutputRecord] = []
    for n, line in enumerate(split_lines(text), 1):
        try:
            rec = record_of(line)
        except _Invalid as e:
            if samples is not None:
                raise McunetsError(f"validation line {n}: {e}") from None
            continue
        if rec is None:
            continue
        name, f = rec
        if name == "begin":
            samples, current = [], []
            continue
        if samples is None:
            continue
        try:
            if name == "output":
                i = _int(f, "i", name)
                text_hex = _str(f, "hex", name)
                if i != len(current) or not _HEX.match(text_hex):
                    raise _Invalid(f"malformed output record i={i}")
                current.append(OutputRecord(i, _str(f, "dtype", name), bytes.fromhex(text_hex)))
            elif name == "done":
                samples.append(tuple(current))
                current = []
            elif name == "error":
                raise McunetsError(f"the board rejected its input: {f.get('msg', 'no message')}")
        except _Invalid as e:
            raise McunetsError(f"validation line {n}: {e}") from None
    if samples is None:
        raise McunetsError("no validation session found: no '@mcu begin' line in the board's output")
    return samples
