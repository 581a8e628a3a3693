"""The compiled Pythran kernels, imported in one place.

The *_pythran.py files beside this one are the kernels' source. Installed, the
package carries the compiled extension modules, which Python imports ahead of a
.py file of the same name. Running from a source tree that was never built would
silently import the slow pure-Python files instead; refuse that loudly.
"""
import importlib
import importlib.machinery
import os

# Idle OpenMP threads sleep instead of spinning. On a busy 2-core machine spinning
# threads steal the core the work needs: with a competing process, 2 threads took
# 2x the time of 1 thread on a 0.1 MP image under libgomp's default policy, and
# the same time as 1 thread (or less) when passive; without load the two policies
# time the same (bench/kmeans.py --load). libgomp reads this once, when it loads,
# so it must be set before the first compiled kernel is imported; a value the user
# set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

def _import_compiled(name):
    module = importlib.import_module(f"quantize.kernels.{name}")
    path = getattr(module, "__file__", "") or ""
    if not path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        raise ImportError(
            f"quantize.kernels.{name} was imported from {path!r}, the uncompiled kernel source. "
            "Install the package (pip install .) and run it from outside the source "
            "tree, or use an editable build: pip install --no-build-isolation -e ."
        )
    return module


nearest = _import_compiled("_nearest_pythran")
lloyd = _import_compiled("_lloyd_pythran")
seeding = _import_compiled("_seeding_pythran")
minibatch = _import_compiled("_minibatch_pythran")
histogram = _import_compiled("_histogram_pythran")
mixture = _import_compiled("_mixture_pythran")
contrast = _import_compiled("_contrast_pythran")
