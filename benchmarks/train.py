"""Training benchmark: float, QAT and int8 accuracy of the zoo on a real image folder.

For every resolution and architecture, ``mcunets.train.train`` runs with the same fixed epoch budget;
the table gives float / QAT / int8 validation accuracy, the int8 − float drop (target: within 0.5 points),
training images/s and wall time.  Results are appended to ``OUT/results.json`` as each run finishes.

    .venv/bin/python benchmarks/train.py                      # 32 px and 96 px, five architectures
    .venv/bin/python benchmarks/train.py --resolutions 32 --epochs 10 --archs mobilenet shufflenet
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import data, train
from mcunets._io import atomic_write_text
from mcunets.errors import McunetsError
from mcunets.report import format_table

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "cifar10-10k" / "train"
ARCHS = ["mobilenet", "shufflenet", "effnet", "squeezenet", "mixnet"]
HEADERS = ["res", "arch", "float", "QAT", "int8", "int8-float", "img/s", "wall s", "params", "int8 bytes"]


def pct(x):
    return "-" if x is None else f"{100 * x:.2f}"


def row(r: dict) -> list:
    if "error" in r:
        return [r["resolution"], r["arch"], "error: " + r["error"]] + [""] * (len(HEADERS) - 3)
    acc = r["accuracy"]
    return [
        r["resolution"], r["arch"], pct(acc["float"]), pct(acc["qat"]), pct(acc["int8"]),
        f"{acc['int8_minus_float_points']:+.2f}", f"{r['images_per_second']['float']:.0f}",
        f"{r['seconds']['total']:.0f}", f"{r['params']:,}", f"{r['model_bytes']:,}",
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DEFAULT_DATA), help="image folder (default: the CIFAR-10 subset)")
    p.add_argument("--archs", nargs="+", default=ARCHS)
    p.add_argument("--resolutions", nargs="+", type=int, default=[32, 96])
    p.add_argument("--alpha", type=float, default=0.25)
    p.add_argument("--epochs", type=int, default=10, help="float epochs (fixed budget for every model)")
    p.add_argument("--qat-epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "out" / "bench-train"))
    args = p.parse_args(argv)

    out = Path(args.out)
    results_path = out / "results.json"
    results: list[dict] = []
    for resolution in args.resolutions:
        t = time.perf_counter()
        try:
            dataset = data.load(args.data, resolution=resolution, seed=args.seed)
        except McunetsError as e:
            print(f"Error: {e}", file=sys.stderr)
            return 1
        print(f"{resolution} px: {len(dataset.train)} train / {len(dataset.val)} val images, "
              f"{dataset.num_classes} classes, loaded in {time.perf_counter() - t:.0f} s", flush=True)
        for arch in args.archs:
            print(f"== {arch} α={args.alpha} {resolution} px", flush=True)
            try:
                result = train.train(
                    arch, dataset, out=out / f"{arch}-{resolution}", alpha=args.alpha, epochs=args.epochs,
                    qat_epochs=args.qat_epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                    verbose=2,
                )
                report = dict(result.report)
            except McunetsError as e:
                report = {"arch": arch, "resolution": resolution, "error": str(e)}
            except Exception as e:  # noqa: BLE001  (one failing architecture must not stop the table)
                first = (str(e).strip().splitlines() or [""])[0][:200]
                report = {"arch": arch, "resolution": resolution, "error": f"{type(e).__name__}: {first}"}
            results.append(report)
            atomic_write_text(results_path, json.dumps(results, indent=2) + "\n")
            print(format_table(HEADERS, [row(report)]), flush=True)
    print()
    print(f"{Path(args.data)}  α={args.alpha}  float epochs {args.epochs}, QAT epochs {args.qat_epochs}, "
          f"batch {args.batch_size}, lr {args.lr}, seed {args.seed}")
    print(format_table(HEADERS, [row(r) for r in results]))
    print(f"results: {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
