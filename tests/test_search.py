"""`mcunets search`: the space, pruning before training, a resumable study, bad input."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import optuna
import pytest
from click.testing import CliRunner

from mcunets import convert, fit, search, train
from mcunets.boards import load_board
from mcunets.cli import cli
from mcunets.errors import McunetsError

BOARD = load_board("stm32f401")
SMALL = {"arch": "mobilenet", "alpha": 0.25, "mobilenet.resolution": 32}   # fits (22 KiB arena)
LARGE = {"arch": "mobilenet", "alpha": 1.0, "mobilenet.resolution": 32}    # 3 MB of weights: does not


@pytest.fixture
def fake_train(monkeypatch):
    """train.train recording its calls instead of training; accuracy grows with α and resolution."""
    calls = []

    def fake(arch, data=None, *args, out, alpha=0.25, callbacks=(), **kwargs):
        calls.append(SimpleNamespace(arch=arch.__name__, alpha=alpha, out=out, **kwargs))
        accuracy = 0.5 + alpha / 10 + data.resolution / 1000
        for callback in callbacks:  # one float epoch
            callback.on_epoch_end(0, {"val_accuracy": accuracy})
        return SimpleNamespace(report={"accuracy": {"int8": accuracy}}, tflite_path=out / "model.tflite")

    monkeypatch.setattr(train, "train", fake)
    return calls


@pytest.fixture(autouse=True, scope="module")
def converted_once():
    """The int8 conversion of an untrained candidate and the runtimes' needs of a model, each done once
    per distinct argument in this module (seeded, so the same bytes): the tests check the search around
    them, which runs as before on the stored results."""
    cache = {}

    def once(fn, key_of):
        def wrapped(*args, **kwargs):
            key = (fn.__name__, key_of(*args, **kwargs))
            if key not in cache:
                cache[key] = fn(*args, **kwargs)
            return cache[key]
        return wrapped

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convert, "untrained_int8", once(convert.untrained_int8, lambda *a, **k: repr((a, sorted(k.items())))))
        mp.setattr(fit, "measure", once(fit.measure, lambda model, *a, **k: repr((
            hashlib.sha256(model).hexdigest(), a, sorted(k.items())))))
        yield


def run(out, trials, enqueue=(), **kwargs):
    study = search.open_study(out, BOARD)
    for params in enqueue:
        study.enqueue_trial(params)
    args = dict(trials=trials, budget_epochs=1, steps_per_epoch=1, archs=["mobilenet"],
                alphas=(0.25, 1.0), resolutions=(32,), final_epochs=0)
    return search.search(BOARD, out=out, **{**args, **kwargs})


def test_space_sampling_respects_the_builders():
    import tf_keras as keras

    from mcunets import zoo

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen, built = set(), set()
    for _ in range(40):
        cand = search.sample(study.ask())
        seen.add(cand.arch)
        assert cand.alpha in search.ALPHAS and cand.resolution in search.valid_resolutions(cand.arch)
        assert [k for k, _ in cand.knobs] == list(search.KNOBS.get(cand.arch, {}))
        phi = dict(cand.knobs).get("phi", 0)
        assert phi or cand.input_resolution == cand.resolution
        if (cand.arch, cand.knobs) in built:
            continue
        built.add((cand.arch, cand.knobs))
        keras.backend.clear_session()
        # The builder accepts every knob value (built small, each architecture and knob values sampled
        # once: the knobs, not the size, are checked here).
        model = zoo.build(cand.arch, alpha=0.25, resolution=32, **dict(cand.knobs))
        assert model.input_shape[1] == search.Candidate(cand.arch, 0.25, 32, cand.knobs).input_resolution
    assert seen == set(zoo.ARCHITECTURES)
    assert search.valid_resolutions("squeezenet")[0] == 32 and search.RESOLUTIONS[-1] == 224


def test_a_candidate_that_does_not_fit_is_never_trained(tmp_path, fake_train):
    result = run(tmp_path, 1, enqueue=[LARGE, SMALL])  # one trained: the pruned one does not count
    states = {r["alpha"]: r["state"] for r in result.rows}
    assert states == {1.0: "pruned", 0.25: "trained"}
    assert [c.alpha for c in fake_train] == [0.25] and fake_train[0].arch == "mobilenet"
    assert "flash needs at least" in result.rows[0]["reason"]
    assert result.best["alpha"] == 0.25 and result.rows[1]["arena_bytes"] > 0
    saved = json.loads((tmp_path / "search.json").read_text())
    assert saved["pruned"] == 1 and saved["trained"] == 1 and saved["pareto"] == [1]
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert "SRAM" in search.format_rows(result.rows) or "flash" in search.format_rows(result.rows)
    # The sampler is constrained: the pruned trial is infeasible to Optuna, the trained one feasible.
    large, small = search.open_study(tmp_path, BOARD).get_trials()
    assert large.constraints["fit"] > 0 and small.constraints["fit"] <= 0
    assert small.constraints["fit"] == pytest.approx(max(
        small.user_attrs["ram_needed"] / BOARD.sram_bytes, small.user_attrs["flash_needed"] / BOARD.flash_bytes) - 1,
        abs=0.05)


def test_a_study_resumes_after_ctrl_c_and_counts_its_trials(tmp_path, fake_train, monkeypatch):
    checks = []
    real_check = search.check
    monkeypatch.setattr(search, "check", lambda *a, **k: checks.append(a[0]) or real_check(*a, **k))
    real_train = train.train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, 2, enqueue=[SMALL, SMALL, SMALL])
    monkeypatch.setattr(train, "train", real_train)
    assert not (tmp_path / "trials").exists()

    first = run(tmp_path, 1)   # trial 0 failed (interrupted): trial 1 runs it again
    assert [r["trial"] for r in first.rows] == [1]
    # Resumed for 2 trained candidates: the space holds one that fits, so the study samples it again
    # (neither checked nor trained again) and the one that does not fit until the cap on trials.
    again = run(tmp_path, 2, enqueue=[SMALL])
    cap = 2 * search.MAX_TRIALS_PER_TRAINED
    assert [r["trial"] for r in again.rows] == list(range(1, cap + 1))
    assert again.rows[1]["key"] == again.rows[0]["key"] and again.rows[1]["accuracy"] == again.rows[0]["accuracy"]
    assert {r["state"] for r in again.rows[1:]} <= {"trained", "pruned"}
    assert search.trained_count(search.open_study(tmp_path, BOARD)) == 1
    assert len(fake_train) == 1
    # Checked: the interrupted trial, trial 1, and the candidate that does not fit once.
    assert [c.alpha for c in checks] == [0.25, 0.25, 1.0]
    assert run(tmp_path, 2).rows == again.rows       # nothing left to do


def test_a_trial_whose_accuracy_lags_is_stopped_by_the_pruner(tmp_path, fake_train, monkeypatch):
    monkeypatch.setattr(search, "STARTUP_TRIALS", 1)
    result = run(tmp_path, 2, enqueue=[{**SMALL, "mobilenet.resolution": 48}, SMALL], alphas=(0.25,),
                 resolutions=(32, 48))
    assert [r["state"] for r in result.rows] == ["trained", "stopped"]
    assert "below the median of earlier trials" in result.rows[1]["reason"]
    assert json.loads((tmp_path / "search.json").read_text())["stopped"] == 1


def test_impossible_constraints_name_the_smallest_candidates_needs(tmp_path, fake_train):
    # Refused before any trial: the smallest of the space fails the lower bound.
    with pytest.raises(McunetsError, match=r"no candidate of the space can fit stm32f401: the smallest, "
                                           r"mobilenet a1 r32 \(3,2\d\d,\d\d\d parameters\).*at least "
                                           r"3,1\d\d,\d\d\d B of int8 weights.*of 524,288"):
        run(tmp_path, 1, alphas=(1.0,))
    assert not fake_train and not search.open_study(tmp_path, BOARD).trials


@pytest.mark.parametrize("args, code, message", [
    (["--board", "nope"], 2, "unknown board 'nope'"),
    (["--board", "esp32", "--latency-ms", "10"], 1, "latency is unavailable for esp32 (xtensa-lx6)"),
    (["--board", "stm32f401", "--latency-ms", "-1"], 1, "--latency-ms must be positive"),
    (["--board", "stm32f401", "--arch", "nope"], 2, "unknown architecture 'nope'"),
    (["--board", "stm32f401", "--data", "/nonexistent"], 1, "nonexistent"),
])
def test_bad_input(tmp_path, args, code, message):
    r = CliRunner().invoke(cli, ["search", "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == code, r.output
    assert message in r.output and "Traceback" not in r.output


def test_a_latency_budget_prunes_with_the_instruction_model(tmp_path, fake_train):
    with pytest.raises(McunetsError, match=r"the smallest, mobilenet a0.25 r32, needs SRAM [\d,]+ B .* ms "
                                           r"\(mcunets\): latency .* > 0.01 ms \(the engine's instruction model "
                                           r"at 84 MHz\)"):
        run(tmp_path, 1, alphas=(0.25,), latency_ms=0.01)
    assert not fake_train


def test_search_command_writes_a_model_that_build_takes(tmp_path):
    out = tmp_path / "s"
    args = ["search", "--board", "stm32f401", "--arch", "mobilenet", "--alpha", "0.25", "--resolution", "32",
            "--trials", "1", "--budget-epochs", "1", "--steps-per-epoch", "1", "--final-epochs", "1",
            "--final-qat-epochs", "0", "--out", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "0 of 1 candidates pruned before training; best: mobilenet a0.25 r32" in r.output
    report = json.loads((out / "best" / "train_report.json").read_text())
    assert report["arch"] == "mobilenet" and report["alpha"] == 0.25 and report["resolution"] == 32
    assert {"search.json", "pareto.png", "study.log", "trials", "best"} <= {p.name for p in out.iterdir()}
    saved = json.loads((out / "search.json").read_text())
    assert saved["final"]["key"] == "mobilenet a0.25 r32" and saved["final"]["epochs"] == 1
    model = (out / "best" / "model.tflite").read_bytes()
    r = CliRunner().invoke(cli, args)   # done already: neither a trial nor the final training again
    assert r.exit_code == 0 and "is already trained with this recipe" in r.output, r.output
    assert (out / "best" / "model.tflite").read_bytes() == model
    r = CliRunner().invoke(cli, ["build", "--model", str(out / "best" / "model.tflite"), "--board", "stm32f401",
                                 "--no-build", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
