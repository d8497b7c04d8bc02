"""A CPU-only user sees no TensorFlow noise: no CUDA probing at start-up, no converter settings, no
interpreter deprecation notice."""

import os
import re
import subprocess
import sys

import pytest

from tests.test_train import make_folder

NOISE = re.compile(r"cuinit|cuda|absl|fully_quantize|inference_type|deprecat|warning|^[IWEF]\d{4} ",
                   re.IGNORECASE | re.MULTILINE)
DATA = os.path.join(os.path.dirname(__file__), "data")


def mcunets(*args, cwd):
    # TensorFlow's own settings as a user has them: not set.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CUDA_"))}
    result = subprocess.run([sys.executable, "-m", "mcunets.cli", *map(str, args)], capture_output=True,
                            text=True, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    assert not NOISE.search(result.stdout) and not NOISE.search(result.stderr), result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_zoo_and_evaluate_print_no_tensorflow_noise(tmp_path):
    zoo = mcunets("zoo", "--arch", "mobilenet", "--resolution", 32, cwd=tmp_path)  # TensorFlow, converter, TFLM
    assert zoo.stdout.startswith("arch") and zoo.stderr.splitlines() == [
        "[1/1] mobilenet: quantizing and converting to int8"]
    make_folder(tmp_path / "d", per_class=1, classes={"a": (200, 0, 0), "b": (0, 200, 0), "c": (0, 0, 200),
                                                      "d": (90, 90, 90)})
    evaluate = mcunets("evaluate", "--model", os.path.join(DATA, "tiny_int8.tflite"), "--data", tmp_path / "d",
                       cwd=tmp_path)  # the reference interpreter
    assert evaluate.stdout.startswith("accuracy") and evaluate.stderr == ""
