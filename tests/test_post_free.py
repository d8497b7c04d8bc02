"""The code generator's rewrite of channels that would add their zero point after the shift
(ops._post_free, ops._requant_channels): the rewritten (multiplier, shift) needs no post-shift add and gives
the same clamped output as TFLite's requantization for every accumulator of the range, checked exhaustively
(vectorized) over ranges that cross several output steps."""

from __future__ import annotations

import numpy as np

from mcunets.engine import ops


def _requantize(acc, m: int, shift: int):
    """TFLite's double-rounding MultiplyByQuantizedMultiplier for shift <= -1 (quant.requantize), vectorized."""
    ab = acc.astype(np.int64) * int(m)
    v = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(v >= 0, v // (1 << 31), -((-v) // (1 << 31)))
    right = -shift
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + ((high & mask) > threshold)


def test_post_free_channels_are_exact_over_their_range():
    rng = np.random.default_rng(5150)
    found = 0
    for _ in range(24):
        right = int(rng.integers(22, 32))
        m = int(rng.integers(1 << 30, 1 << 31))
        z = int(rng.integers(-128, 128))
        act = (int(rng.choice([-128, max(z, -128)])), int(rng.choice([127, min(z + 60, 127)])))
        zs = (z, z - act[0])
        if not any(abs(2 * v + 1) >= 1 << (31 - right) for v in zs):
            continue
        # a range of 2^21 accumulators around a random centre that crosses about 2 ... 40 output steps
        step = (1 << (31 + right)) // m
        width = min(1 << 21, int(step * rng.integers(2, 40)))
        lo = int(rng.integers(-40 * step, 40 * step)) - width // 2
        lo = max(lo, -(1 << 30))
        hi = min(lo + width, (1 << 30) - 1)
        r = ops._post_free(lo, hi, m, -right, z, act, zs)
        if r is None:
            continue
        found += 1
        m2, s2 = r
        assert not any(abs(2 * v + 1) >= 1 << (31 + s2) for v in zs)
        acc = np.arange(lo, hi + 1, dtype=np.int64)
        want = np.clip(_requantize(acc, m, -right) + z, *act)
        got = np.clip(_requantize(acc, m2, s2) + z, *act)
        assert np.array_equal(want, got), (m, right, z, act, lo, hi, r)
    assert found >= 8


def test_post_free_keeps_a_channel_it_cannot_match():
    # right shift 23, the folded zero point 200: the multiplier would lose its last bit; over accumulators of
    # +-2^30 (about 250 output steps) some odd multipliers have no match, and those channels keep the add
    rng = np.random.default_rng(5151)
    res = [ops._post_free(-(1 << 30), (1 << 30) - 1, int(rng.integers(1 << 29, 1 << 30)) * 2 + 1, -23, 100,
                          (-100, 127), (100, 200)) for _ in range(12)]
    assert any(r is None for r in res)


def test_requant_channels_rewrites_only_with_post_free():
    flat = np.array([[1, -2, 3, 4], [5, 6, -7, 8]])
    mults, shifts = (1 << 30, (1 << 30) + 12345), (-3, -29)
    args = (flat, np.array([10, -20]), 0, mults, shifts, -128, (-128, 127))
    _, _, m1, s1 = ops._requant_channels(*args)
    assert (m1[0], s1[0]) == (mults[0], shifts[0]) and s1[1] > -29
    try:
        ops.POST_FREE = False
        assert ops._requant_channels(*args)[2:] == (mults, shifts)
    finally:
        ops.POST_FREE = True
