"""mcunets: tiny CNNs from training to a microcontroller, with on-board cycle reports.

The pipeline, one module per stage: ``data`` → ``zoo`` → ``train`` → ``convert`` → ``boards`` →
``render`` → ``engine`` → ``targets`` → ``report``.  ``cli`` is a thin layer over these modules.
"""

import os

# tensorflow-model-optimization needs the Keras 2 API (tf-keras).  Keras 3 is TensorFlow's default,
# so select tf-keras before TensorFlow is first imported; users never have to set this themselves.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow 2.21's oneDNN kernels corrupt the heap while training these models on AMD EPYC hosts
# ("malloc(): unaligned tcache chunk detected", segmentation faults after a dozen steps); the
# default Eigen kernels train them correctly.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
