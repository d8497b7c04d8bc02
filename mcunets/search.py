"""``mcunets search``: the best int8 model that fits a board, by architecture search with Optuna.

The space is every zoo architecture × width α × input resolution, plus the knobs a builder exposes
(ShuffleNet's groups, MobileNetV2's expansion, EfficientNet's φ, MixNet's kernel mix). Each trial
samples a :class:`Candidate` and checks it against the board *before any training*: first the
instant lower bound on the Keras model (:func:`mcunets.fit.lower_bound`), then the exact arena and
flash of its untrained int8 conversion for the board's runtimes (as :func:`mcunets.build.preflight`
does), then, with a latency budget, the engine's instructions from its instruction model
(:mod:`mcunets.latency`) at the board's clock. A candidate that breaks a constraint is pruned with the reason and never trained;
the others are trained for a short budget (QAT included) and scored by int8 validation accuracy.
The best is trained again with the full recipe into ``OUT/best/`` (``model.tflite``,
``train_report.json``), ready for ``mcunets build --model``. See docs/search.md.

Output folder::

    study.log        Optuna's journal (the study: resumable, shareable with --storage)
    trials/NNNN/     each trained trial's model.tflite and train_report.json
    best/            the winner trained with the full recipe
    search.json      every candidate tried, the pruned ones with their reason, the Pareto front
    pareto.png       int8 accuracy against latency and against arena
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from mcunets._io import atomic_write_bytes, atomic_write_text
from mcunets.boards import Board
from mcunets.errors import FitError, McunetsError

ALPHAS = (0.25, 0.35, 0.5, 0.75, 1.0)
RESOLUTIONS = tuple(range(32, 225, 16))  # 32, 48, …, 224
# Knobs the builders take, with the values the papers use (or scale to): ShuffleNet's groups g,
# MobileNetV2's expansion t (MCUNet's choices 3, 4 and the paper's 6), EfficientNet's compound φ (the
# input becomes resolution·1.15^φ), MixNet's kernel mix (its largest depthwise kernel: {3}, {3,5}, {3,5,7}).
KNOBS: dict[str, dict[str, tuple]] = {
    "shufflenet": {"groups": (1, 2, 3, 4, 8)},
    "mobilenet_v2": {"expansion": (3, 4, 6)},
    "efficientnet": {"phi": (0, 1, 2)},
    "mixnet": {"max_kernel": (3, 5, 7)},
}
STUDY_FILE = "study.log"
# ``--trials N`` asks for N trained candidates; the study stops after N × this many trials in all
# (pruned before training, or repeats) when the space holds fewer feasible candidates.
MAX_TRIALS_PER_TRAINED = 10
# Trained trials before Optuna's median pruner may stop a trial whose accuracy lags after an epoch.
STARTUP_TRIALS = 4
Log = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    arch: str
    alpha: float
    resolution: int
    knobs: tuple[tuple[str, object], ...] = ()

    @property
    def input_resolution(self) -> int:
        """The model's input size: EfficientNet's φ scales the resolution (1.15^φ)."""
        from mcunets.zoo.efficientnet import scaled_resolution

        phi = dict(self.knobs).get("phi", 0)
        return scaled_resolution(self.resolution, phi) if phi else self.resolution

    @property
    def key(self) -> str:
        """``shufflenet a0.5 r96 groups=3``: names the candidate in the study and the tables."""
        knobs = "".join(f" {k}={v}" for k, v in self.knobs)
        return f"{self.arch} a{self.alpha:g} r{self.resolution}{knobs}"

    def build(self, channels: int = 3, classes: int = 10):
        """The untrained Keras model."""
        from mcunets import zoo

        return zoo.build(self.arch, alpha=self.alpha, resolution=self.resolution, channels=channels,
                         classes=classes, **dict(self.knobs))

    def as_dict(self) -> dict:
        return {"arch": self.arch, "alpha": self.alpha, "resolution": self.resolution,
                "input_resolution": self.input_resolution, **dict(self.knobs)}


def valid_resolutions(arch: str, resolutions=None) -> tuple[int, ...]:
    """The resolutions (default: the steps of the space) ``arch``'s builder accepts: at least its
    module's MIN_RESOLUTION (EffNet has none: 8 px is enough for its three blocks)."""
    from mcunets import zoo

    module = sys.modules[zoo.ARCHITECTURES[arch].__module__]
    return tuple(r for r in resolutions or RESOLUTIONS if r >= getattr(module, "MIN_RESOLUTION", 8))


def sample(trial, archs=None, alphas=ALPHAS, resolutions=None) -> Candidate:
    """The candidate an Optuna trial proposes, from the space restricted to these values."""
    from mcunets import zoo

    arch = trial.suggest_categorical("arch", list(archs or zoo.ARCHITECTURES))
    alpha = trial.suggest_categorical("alpha", list(alphas))
    steps = list(valid_resolutions(arch, resolutions))
    # One parameter per architecture: the choices of a categorical must not change between trials.
    resolution = trial.suggest_categorical(f"{arch}.resolution", steps)
    knobs = tuple((k, trial.suggest_categorical(f"{arch}.{k}", list(v))) for k, v in KNOBS.get(arch, {}).items())
    return Candidate(arch, float(alpha), int(resolution), knobs)


# ---- constraints, without training ---------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A candidate against the board: its needs, and ``reason`` set when it breaks a constraint."""

    runtime: str | None = None
    arena_bytes: int | None = None
    ram_needed: int | None = None
    flash_needed: int | None = None
    latency_ms: float | None = None
    reason: str = ""
    # How far over its tightest constraint the candidate is, as a fraction (0.25: 25 % over; ≤ 0: it
    # meets them all): the constrained sampler learns the infeasible region from it.
    violation: float = 1.0


def check(candidate: Candidate, board: Board, classes: int, *, channels: int = 3,
          latency_ms: float | None = None, seed: int = 0) -> Check:
    """Does ``candidate`` fit ``board`` (the runtime ``auto`` would take) and its latency budget?"""
    import tf_keras as keras

    from mcunets import convert, fit, latency

    keras.backend.clear_session()
    res = candidate.input_resolution
    try:
        fit.lower_bound(board, candidate.build(channels, classes), candidate.alpha, res)
    except FitError as e:  # over by an unknown amount, at least what the bound says
        return Check(reason=str(e))
    model_bytes, _ = convert.untrained_int8(candidate.arch, seed=seed, alpha=candidate.alpha,
                                            resolution=candidate.resolution, channels=channels,
                                            classes=classes, **dict(candidate.knobs))
    needs = fit.measure(model_bytes, board.runtimes)
    try:
        choice = fit.choose_runtime(board, needs, alpha=candidate.alpha, resolution=res)
    except FitError as e:
        smallest = min((fit.fit_of(board, n) for n in needs.values() if not n.why),
                       key=lambda f: f.ram_needed, default=None)
        return Check(reason=str(e), **({} if smallest is None else dict(
            runtime=smallest.runtime, arena_bytes=smallest.arena_bytes, ram_needed=smallest.ram_needed,
            flash_needed=smallest.flash_needed, violation=_over(smallest))))
    f = choice.fit
    found = Check(choice.runtime, f.arena_bytes, f.ram_needed, f.flash_needed, violation=_over(f))
    if latency_ms is None:
        return found
    engine = needs.get("mcunets")  # its schedule, from the generation fit.measure already did
    ms = latency.estimate_ms(model_bytes, board, engine.schedule if engine else None)
    reason = (f"latency {ms:.1f} ms > {latency_ms:g} ms (the engine's instruction model at "
              f"{board.cpu_hz / 1e6:g} MHz)") if ms > latency_ms else ""
    return Check(choice.runtime, f.arena_bytes, f.ram_needed, f.flash_needed, round(ms, 3), reason,
                 round(max(found.violation, ms / latency_ms - 1), 6))


def _over(f) -> float:
    """The fraction by which a fit's SRAM or flash need exceeds the board's (≤ 0 when it fits)."""
    return round(max(f.ram_needed / f.ram_available, f.flash_needed / f.flash_available) - 1, 6)


def refuse_impossible(board: Board, classes: int, archs, alphas, resolutions, channels: int = 3) -> None:
    """Refuse at once a space none of whose candidates can fit ``board``: every architecture's smallest
    (least α and resolution, every knob value) fails the lower bound (Keras models only, no conversion).
    The error names the one with the fewest parameters and its needs."""
    import itertools

    import tf_keras as keras

    from mcunets import fit, zoo

    failures = []
    for arch in archs or zoo.ARCHITECTURES:
        steps = valid_resolutions(arch, resolutions)
        knobs = KNOBS.get(arch, {})
        for values in itertools.product(*knobs.values()):
            cand = Candidate(arch, float(min(alphas)), min(steps), tuple(zip(knobs, values)))
            keras.backend.clear_session()
            model = cand.build(channels, classes)
            try:
                fit.lower_bound(board, model, cand.alpha, cand.input_resolution)
                return
            except FitError as e:
                failures.append((model.count_params(), cand.key, str(e)))
    params, key, why = min(failures)
    raise McunetsError(f"no candidate of the space can fit {board.name}: the smallest, {key} "
                       f"({params:,} parameters): {why}")


# ---- the search ----------------------------------------------------------------------------------


@dataclass
class SearchResult:
    out: Path
    rows: list[dict]        # one per finished trial, in trial order
    best: dict | None       # the best trained row
    pareto: list[dict]
    final: dict | None = None  # the full-recipe training: its recipe, int8 accuracy and model path

    def table(self) -> str:
        return format_rows(self.rows)


def _row(trial) -> dict:
    a = trial.user_attrs
    return {"trial": trial.number, "state": a.get("state", trial.state.name.lower()),
            **a.get("candidate", {}), "key": a.get("key"), "runtime": a.get("runtime"),
            "arena_bytes": a.get("arena_bytes"), "ram_needed": a.get("ram_needed"),
            "flash_needed": a.get("flash_needed"), "latency_ms": a.get("latency_ms"),
            "accuracy": trial.value if trial.state.name == "COMPLETE" else None,
            "reason": a.get("reason", "")}


def open_study(out: Path, board: Board, storage: str | None = None, seed: int = 0):
    """The study of this search: created, or loaded to resume (same name, same storage)."""
    import optuna

    if storage is None:
        from optuna.storages.journal import JournalFileBackend

        out.mkdir(parents=True, exist_ok=True)
        storage = optuna.storages.JournalStorage(JournalFileBackend(str(out / STUDY_FILE)))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # TPE is constrained: a trial records how far over the board's SRAM, flash or latency budget its
    # candidate is (``Check.violation``, a trial constraint), and Optuna ranks such trials below every
    # feasible one, so sampling drifts to the feasible region.
    return optuna.create_study(study_name=f"mcunets-search-{board.name}", storage=storage,
                               direction="maximize", load_if_exists=True,
                               sampler=optuna.samplers.TPESampler(seed=seed),
                               pruner=optuna.pruners.MedianPruner(n_startup_trials=STARTUP_TRIALS))


def search(board: Board, data=None, *, out, trials: int = 20, budget_epochs: int = 2,
           steps_per_epoch: int | None = None, latency_ms: float | None = None, archs=None,
           alphas=ALPHAS, resolutions=None, final_epochs: int = 20, final_qat_epochs: int = 3,
           final_steps_per_epoch: int | None = None, batch_size: int = 32, storage: str | None = None,
           seed: int = 0, progress: bool = False, log: Log | None = None) -> SearchResult:
    """Search ``board``'s space until ``trials`` candidates are trained (a resumed study counts its
    earlier ones; candidates pruned before training do not count); train the best with the full
    recipe (``final_epochs=0``: do not) and report."""
    import optuna

    from mcunets import data as data_lib
    from mcunets import train as train_lib
    from mcunets import zoo

    say = log or (lambda message: None)
    out = Path(out)
    if trials < 1 or budget_epochs < 1:
        raise McunetsError("--trials and --budget-epochs must be at least 1")
    if latency_ms is not None:
        if not latency_ms > 0:
            raise McunetsError(f"--latency-ms must be positive, got {latency_ms}")
        from mcunets import latency

        latency.coefficients(board)  # a board whose core the instruction model does not cover is refused
    for arch in archs or zoo.ARCHITECTURES:
        if not valid_resolutions(arch, resolutions):
            raise McunetsError(f"{arch} accepts none of the resolutions {', '.join(map(str, resolutions))}")
    classes = len(data_lib.class_names(data))
    datasets: dict[int, data_lib.Dataset] = {}  # one decode of the data per input resolution

    def dataset(resolution: int):
        if resolution not in datasets:
            datasets[resolution] = data_lib.load(data, resolution=resolution, seed=seed)
        return datasets[resolution]

    study = open_study(out, board, storage, seed)
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    if not study.get_trials(deepcopy=False, states=states):
        refuse_impossible(board, classes, archs, alphas, resolutions)

    def objective(trial) -> float:
        cand = sample(trial, archs, alphas, resolutions)
        trial.set_user_attr("candidate", cand.as_dict())
        trial.set_user_attr("key", cand.key)
        earlier = next((t for t in study.get_trials(deepcopy=False, states=states)
                        if t.user_attrs.get("key") == cand.key), None)
        if earlier is not None:  # a candidate is checked and trained once per study
            for k, v in earlier.user_attrs.items():
                trial.set_user_attr(k, v)
            trial.set_user_attr("repeat_of", earlier.number)
            trial.set_constraint("fit", earlier.user_attrs.get("violation", 1.0))
            if earlier.state == optuna.trial.TrialState.PRUNED:
                raise optuna.TrialPruned(earlier.user_attrs.get("reason", ""))
            return earlier.value
        say(f"trial {trial.number}: {cand.key}: checking the fit")
        c = check(cand, board, classes, latency_ms=latency_ms, seed=seed)
        for k, v in asdict(c).items():
            trial.set_user_attr(k, v)
        trial.set_constraint("fit", c.violation)
        if c.reason:
            trial.set_user_attr("state", "pruned")
            say(f"trial {trial.number}: pruned: {c.reason}")
            raise optuna.TrialPruned(c.reason)
        say(f"trial {trial.number}: training {budget_epochs}+1 epochs ({c.runtime}, arena {c.arena_bytes:,} B)")
        try:
            result = train_lib.train(_named(cand), dataset(cand.input_resolution),
                                     out=out / "trials" / f"{trial.number:04d}", alpha=cand.alpha,
                                     epochs=budget_epochs, qat_epochs=1, steps_per_epoch=steps_per_epoch,
                                     batch_size=batch_size, seed=seed, verbose=0,
                                     callbacks=[_stop_bad_trial(trial)])
        except optuna.TrialPruned as e:
            trial.set_user_attr("state", "stopped")
            trial.set_user_attr("reason", str(e))
            say(f"trial {trial.number}: stopped: {e}")
            raise
        trial.set_user_attr("state", "trained")
        return float(result.report["accuracy"]["int8"])

    # ``trials`` counts trained candidates: one refused before training costs a conversion, a repeat
    # nothing, so neither spends the budget. A space with fewer feasible candidates ends at the cap.
    finished = len(study.get_trials(deepcopy=False, states=states))
    cap = trials * MAX_TRIALS_PER_TRAINED
    if trained_count(study) < trials and finished < cap:
        bar = _progress_bar(trials, trained_count(study)) if progress else None

        def stop_when_done(study, trial):
            done = trained_count(study)
            if bar is not None:
                bar.update(done - bar.n)
            if done >= trials or len(study.get_trials(deepcopy=False, states=states)) >= cap:
                study.stop()

        try:
            study.optimize(objective, n_trials=cap - finished, callbacks=[stop_when_done])
        finally:
            if bar is not None:
                bar.close()

    rows = [_row(t) for t in study.get_trials(deepcopy=False, states=states)]
    trained = [r for r in rows if r["accuracy"] is not None]
    if not trained:
        raise McunetsError(no_fit_message(board, rows, latency_ms))
    best = max(trained, key=lambda r: (r["accuracy"], -r["ram_needed"]))
    front = pareto(trained)
    final = None
    if final_epochs:
        recipe = {"key": best["key"], "epochs": final_epochs, "qat_epochs": final_qat_epochs,
                  "steps_per_epoch": final_steps_per_epoch, "batch_size": batch_size, "seed": seed}
        final = _earlier_final(out, recipe)
        if final is None:
            cand = Candidate(best["arch"], best["alpha"], best["resolution"],
                             tuple((k, best[k]) for k in KNOBS.get(best["arch"], {})))
            say(f"training the best, {cand.key}, with the full recipe: {final_epochs}+{final_qat_epochs} epochs")
            trained_best = train_lib.train(
                _named(cand), dataset(cand.input_resolution), out=out / "best", alpha=cand.alpha,
                epochs=final_epochs, qat_epochs=final_qat_epochs, steps_per_epoch=final_steps_per_epoch,
                batch_size=batch_size, seed=seed, verbose=0, log=say)
            final = {**recipe, "accuracy": trained_best.report["accuracy"],
                     "model": str(trained_best.tflite_path)}
        else:
            say(f"the best, {best['key']}, is already trained with this recipe in {final['model']}")
    result = SearchResult(out, rows, best, front, final)
    write_outputs(result, board, latency_ms)
    return result


def trained_count(study) -> int:
    """The distinct candidates the study has trained (to the end or stopped by the pruner)."""
    return sum(t.user_attrs.get("state") in ("trained", "stopped") and "repeat_of" not in t.user_attrs
               for t in study.get_trials(deepcopy=False))


def _progress_bar(total: int, done: int):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, desc="trained", unit="candidate")


def _earlier_final(out: Path, recipe: dict) -> dict | None:
    """The final training an earlier run of this search wrote, if it trained the same best the same way."""
    try:
        final = json.loads((out / "search.json").read_text())["final"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    same = final and all(final.get(k) == v for k, v in recipe.items())
    return final if same and Path(final["model"]).exists() else None


def _stop_bad_trial(trial):
    """A Keras callback reporting each float epoch's validation accuracy to the study, and stopping
    the trial when Optuna's pruner (the median of earlier trials at that epoch) says so."""
    import optuna
    import tf_keras as keras

    class StopBadTrial(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            accuracy = float((logs or {}).get("val_accuracy", 0.0))
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"float val accuracy {accuracy:.2%} after epoch {epoch + 1} is "
                                         f"below the median of earlier trials")

    return StopBadTrial()


def _named(cand: Candidate):
    """``cand.build`` named after the architecture, so train_report.json says which one it is."""
    def builder(resolution, channels, classes):  # resolution: the data's, cand.input_resolution
        return cand.build(channels, classes)

    builder.__name__ = cand.arch
    return builder


def no_fit_message(board: Board, rows: list[dict], latency_ms: float | None) -> str:
    """No candidate met the constraints: name the smallest one tried and what it needs."""
    measured = [r for r in rows if r["ram_needed"] is not None]
    smallest = min(measured, key=lambda r: (r["ram_needed"], r["flash_needed"]), default=None)
    what = f"{board.name} (SRAM {board.sram_bytes:,} B, flash {board.flash_bytes:,} B" + (
        f", latency ≤ {latency_ms:g} ms)" if latency_ms is not None else ")")
    if smallest is None:
        first = min(rows, key=lambda r: (r.get("alpha", 9), r.get("resolution", 9999)), default=None)
        return (f"none of the {len(rows)} candidates tried fits {what}" +
                (f"; the smallest, {first['key']}: {first['reason']}" if first else ""))
    ms = f", {smallest['latency_ms']:g} ms" if smallest["latency_ms"] is not None else ""
    return (f"none of the {len(rows)} candidates tried meets the constraints of {what}; the smallest, "
            f"{smallest['key']}, needs SRAM {smallest['ram_needed']:,} B and flash "
            f"{smallest['flash_needed']:,} B{ms} ({smallest['runtime']}): {smallest['reason']}")


def pareto(rows: list[dict]) -> list[dict]:
    """The trained rows no other beats on accuracy and arena (and latency, when measured)."""
    def costs(r):
        return (-r["accuracy"], r["arena_bytes"], r["latency_ms"] if r["latency_ms"] is not None else 0)

    def dominated(r):
        return any(all(a <= b for a, b in zip(costs(o), costs(r))) and costs(o) != costs(r) for o in rows)

    unique = {r["key"]: r for r in rows}.values()
    return sorted((r for r in unique if not dominated(r)), key=lambda r: r["arena_bytes"])


# ---- report --------------------------------------------------------------------------------------


def format_rows(rows: list[dict]) -> str:
    from mcunets.report import format_table

    def n(v, fmt="{:,}"):
        return "-" if v is None else fmt.format(v)

    return format_table(
        ["#", "arch", "α", "res", "knobs", "state", "runtime", "arena B", "flash B", "latency ms",
         "int8 acc", "broke"],
        [[r["trial"], r.get("arch", "-"), n(r.get("alpha"), "{:g}"), n(r.get("resolution")),
          " ".join(f"{k}={r[k]}" for k in KNOBS.get(r.get("arch"), {}) if k in r) or "-",
          r["state"], r["runtime"] or "-", n(r["arena_bytes"]), n(r["flash_needed"]),
          n(r["latency_ms"], "{:.1f}"), n(r["accuracy"], "{:.2%}"), _broke(r["reason"])] for r in rows])


def _broke(reason: str) -> str:
    """The constraints a pruned candidate breaks, in a word or two: ``SRAM+flash``, ``latency``."""
    broke = [what for what, mark in (("SRAM", "SRAM needs"), ("flash", "flash needs"),
                                     ("latency", "latency "), ("accuracy", "below the median"))
             if mark in reason]
    return "+".join(broke) or ("-" if not reason else "other")


def write_outputs(result: SearchResult, board: Board, latency_ms: float | None) -> None:
    rows = result.rows
    data = {
        "mcunets_search": 1, "board": board.name, "latency_ms_budget": latency_ms,
        "trials": len(rows), "trained": sum(r["accuracy"] is not None for r in rows),
        "pruned": sum(r["state"] == "pruned" for r in rows),
        "stopped": sum(r["state"] == "stopped" for r in rows),
        "best": result.best, "pareto": [r["trial"] for r in result.pareto],
        "final": result.final,
        "candidates": rows,
    }
    atomic_write_text(result.out / "search.json", json.dumps(data, indent=2) + "\n")
    atomic_write_bytes(result.out / "pareto.png", pareto_png([r for r in rows if r["accuracy"] is not None],
                                                             result.pareto))


def pareto_png(trained: list[dict], front: list[dict]) -> bytes:
    """int8 accuracy against latency (when measured) and against arena; the front in red."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_of = [("arena_bytes", "arena (KiB)", 1 / 1024)]
    if any(r["latency_ms"] is not None for r in trained):
        axes_of.insert(0, ("latency_ms", "latency (ms)", 1.0))
    fig, axes = plt.subplots(1, len(axes_of), figsize=(5 * len(axes_of), 4), squeeze=False)
    for ax, (key, label, scale) in zip(axes[0], axes_of):
        pts = [r for r in trained if r[key] is not None]
        ax.scatter([r[key] * scale for r in pts], [r["accuracy"] for r in pts], c="tab:blue", s=18)
        on = sorted((r for r in front if r[key] is not None), key=lambda r: r[key])
        ax.plot([r[key] * scale for r in on], [r["accuracy"] for r in on], "o-", c="tab:red", label="Pareto front")
        for r in on:
            ax.annotate(r["key"], (r[key] * scale, r["accuracy"]), fontsize=6)
        ax.set_xlabel(label)
        ax.set_ylabel("int8 val accuracy")
        ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()

