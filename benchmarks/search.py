"""Search benchmark: the winner of ``mcunets search`` against the default model, under one budget.

For each board, :func:`mcunets.search.search` trains ``--trials`` candidates (``--budget-epochs`` float
epochs + 1 QAT epoch each; those pruned before training do not count) and trains its winner with ``--final-epochs`` + ``--final-qat-epochs``; the default
model (mobilenet, α=0.25, 96 px) is trained once with the same final budget and compared on every
board. The table gives both models' int8 validation accuracy, the runtime ``auto`` takes, arena,
flash and (with ``--latency-ms``, on boards whose core the engine's instruction model covers) the
estimated latency. Results go to ``OUT/results.json``.

    .venv/bin/python benchmarks/search.py                                   # stm32f401 and esp32
    .venv/bin/python benchmarks/search.py --boards stm32f401 --trials 2 --budget-epochs 1 \\
        --steps-per-epoch 2 --final-epochs 1 --final-steps-per-epoch 2 --resolutions 32   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mcunets.latency  # (mcunets first: it selects tf-keras before TensorFlow loads)
from mcunets import data, search, train
from mcunets._io import atomic_write_text
from mcunets.boards import load_board
from mcunets.errors import McunetsError
from mcunets.report import format_table

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "cifar10-10k" / "train"
DEFAULT_MODEL = search.Candidate("mobilenet", 0.25, 96)
HEADERS = ["board", "model", "int8 acc", "runtime", "arena B", "flash B", "latency ms", "trained", "pruned"]


def train_default(args):
    """The default model trained with the final budget: once, for every board (same data and seed)."""
    return train.train(
        "mobilenet", args.data, out=Path(args.out) / "default", alpha=DEFAULT_MODEL.alpha,
        resolution=DEFAULT_MODEL.resolution, epochs=args.final_epochs, qat_epochs=args.final_qat_epochs,
        steps_per_epoch=args.final_steps_per_epoch, batch_size=args.batch_size, seed=args.seed, verbose=2)


def run_board(name: str, args, default) -> dict:
    board = load_board(name)
    out = Path(args.out) / name
    latency = args.latency_ms
    if latency is not None:
        try:
            mcunets.latency.coefficients(board)
        except McunetsError as e:
            print(f"{name}: {e}: no latency budget", flush=True)
            latency = None
    found = search.search(
        board, args.data, out=out / "search", trials=args.trials, budget_epochs=args.budget_epochs,
        steps_per_epoch=args.steps_per_epoch, latency_ms=latency,
        resolutions=args.resolutions, final_epochs=args.final_epochs,
        final_qat_epochs=args.final_qat_epochs, final_steps_per_epoch=args.final_steps_per_epoch,
        batch_size=args.batch_size, seed=args.seed, progress=sys.stderr.isatty(),
        log=lambda m: print(m, flush=True))
    print(found.table(), flush=True)
    best = found.best
    default_fit = search.check(DEFAULT_MODEL, board, len(data.class_names(args.data)), latency_ms=latency)
    return {
        "board": name,
        "trials": len(found.rows),
        "trained": len({r["key"] for r in found.rows if r["state"] in ("trained", "stopped")}),
        "pruned": len({r["key"] for r in found.rows if r["state"] == "pruned"}),
        "winner": {**best, "int8": found.final["accuracy"]["int8"] if found.final else None},
        "default": {"key": DEFAULT_MODEL.key, "int8": default.report["accuracy"]["int8"],
                    "runtime": default_fit.runtime, "arena_bytes": default_fit.arena_bytes,
                    "flash_needed": default_fit.flash_needed, "latency_ms": default_fit.latency_ms,
                    "fits": not default_fit.reason, "reason": default_fit.reason},
    }


def rows(r: dict) -> list[list]:
    def n(v, fmt="{:,}"):
        return "-" if v is None else fmt.format(v)

    w, d = r["winner"], r["default"]
    return [[r["board"], f"search: {w['key']}", n(w["int8"], "{:.2%}"), w["runtime"], n(w["arena_bytes"]),
             n(w["flash_needed"]), n(w["latency_ms"], "{:.1f}"), r["trained"], r["pruned"]],
            [r["board"], f"default: {d['key']}" + ("" if d["fits"] else " (does not fit)"),
             n(d["int8"], "{:.2%}"), d["runtime"] or "-", n(d["arena_bytes"]), n(d["flash_needed"]),
             n(d["latency_ms"], "{:.1f}"), "", ""]]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_DATA), help="image folder (default: the CIFAR-10 subset)")
    p.add_argument("--boards", nargs="+", default=["stm32f401", "esp32"])
    p.add_argument("--trials", type=int, default=24)
    p.add_argument("--budget-epochs", type=int, default=2, help="float epochs per trial (+1 QAT)")
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument("--resolutions", nargs="+", type=int, default=None, help="default: 32–224 in steps of 16")
    p.add_argument("--latency-ms", type=float, default=None, help="latency budget where it can be estimated")
    p.add_argument("--final-epochs", type=int, default=10, help="float epochs of the winner and the default")
    p.add_argument("--final-qat-epochs", type=int, default=2)
    p.add_argument("--final-steps-per-epoch", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "out" / "bench-search"))
    args = p.parse_args(argv)

    out = Path(args.out)
    results = []
    default = None
    for name in args.boards:
        try:
            default = default or train_default(args)
            results.append(run_board(name, args, default))
        except McunetsError as e:
            print(f"{name}: Error: {e}", file=sys.stderr)
            results.append({"board": name, "error": str(e)})
        atomic_write_text(out / "results.json", json.dumps(results, indent=2) + "\n")
    table = [row for r in results if "error" not in r for row in rows(r)]
    print(format_table(HEADERS, table))
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
