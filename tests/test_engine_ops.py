"""Per-op differential tests: the engine against TFLite's reference kernels (BUILTIN_REF), byte for byte.

Every op in mcunets.engine.testing.BUILDERS gets randomized single-op models (shapes, strides,
paddings, dilations, groups, activations, and representative data of random range and offset so
quantization parameters vary), each run with random int8 inputs.  All cases are compiled into one
shared library, each with a variant holding new random weights and biases.  benchmarks/engine_ops.py runs the same check at 1,000+ runs per op.
"""

from __future__ import annotations

import numpy as np
import pytest

from mcunets.engine.testing import BUILDERS, check_cases, make_case, weight_variants
from mcunets.tflm import model_ops

MODELS_PER_OP = 4
RUNS_PER_MODEL = 3
OPS = sorted(BUILDERS)
# builders whose models may hold a sibling op instead of the one they are named after
ALSO = {"RELU": {"RELU6"}}


@pytest.fixture(scope="module")
def checked():
    cases, by_op = [], {}
    for k, op in enumerate(OPS):
        rng = np.random.default_rng(1000 + k)
        by_op[op] = []
        for _ in range(MODELS_PER_OP):
            case = make_case(op, rng, runs=RUNS_PER_MODEL)
            by_op[op].append(case)
            cases += [case] + weight_variants(case, rng, 1, RUNS_PER_MODEL)  # + new weights, same model
    return by_op, check_cases(cases)


@pytest.mark.parametrize("op", OPS)
def test_models_contain_the_op(op, checked):
    by_op, _ = checked
    for case in by_op[op]:
        assert ({op} | ALSO.get(op, set())) & set(model_ops(case.model)), case.name


@pytest.mark.parametrize("op", OPS)
def test_op_is_bit_exact(op, checked):
    by_op, result = checked
    names = {c.name for c in by_op[op]}
    bad = [m for m in result.mismatches if m[0] in names]
    assert not bad, f"{len(bad)} mismatching runs, first: {bad[0][0]}"


def test_every_run_was_compared(checked):
    _, result = checked
    assert result.cases == 2 * len(OPS) * MODELS_PER_OP  # each model and its weight variant
    assert result.runs == 2 * len(OPS) * MODELS_PER_OP * RUNS_PER_MODEL


def test_weight_variants_change_weights_and_biases_but_not_axes():
    from mcunets.engine.reader import read_model

    rng = np.random.default_rng(5)
    for op in ("MEAN", "CONV_2D"):
        case = make_case(op, rng, runs=1)
        (variant,) = weight_variants(case, rng, 1, 1)
        g, v = read_model(case.model), read_model(variant.model)
        changed = {i for i, t in enumerate(g.tensors)
                   if t.data is not None and np.asarray(t.data).tobytes() != np.asarray(v.tensors[i].data).tobytes()}
        quantized_consts = {i for i, t in enumerate(g.tensors) if t.data is not None and len(t.scales)}
        assert changed == quantized_consts, op
