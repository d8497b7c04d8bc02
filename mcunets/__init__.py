"""mcunets: tiny CNNs from training to a microcontroller, with on-board cycle reports.

The pipeline, one module per stage: ``data`` → ``zoo`` → ``train`` → ``convert`` → ``boards`` →
``render`` → ``engine`` → ``targets`` → ``report``.  ``cli`` is a thin layer over these modules.
"""

import importlib.abc
import importlib.util
import os
import sys

# tensorflow-model-optimization needs the Keras 2 API (tf-keras).  Keras 3 is TensorFlow's default,
# so select tf-keras before TensorFlow is first imported; users never have to set this themselves.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's C++ logs: errors too (3), as on a machine without a GPU it logs its failed CUDA probe
# ("failed call to cuInit") as one.  Real failures still raise Python exceptions; set 0 to see all.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# TensorFlow 2.21's oneDNN kernels corrupt the heap while training these models on AMD EPYC hosts
# ("malloc(): unaligned tcache chunk detected", segmentation faults after a dozen steps); the
# default Eigen kernels train them correctly.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Import ``tensorflow`` with what its native libraries print while loading captured.

    On a machine without CUDA they print "Could not find cuda drivers on your machine" before any log
    level applies.  The capture is shown after all if the import fails.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            from mcunets._io import captured_stderr

            exec_module = spec.loader.exec_module

            def quiet_exec_module(module):
                with captured_stderr():
                    exec_module(module)

            spec.loader.exec_module = quiet_exec_module
        return spec


if "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlowImport())

__version__ = "0.1.0"
