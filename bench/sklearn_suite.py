"""scikit-learn's own KMeans tests, run on quantize's KMeans, MiniBatchKMeans and kmeans_plusplus.

Copies the installed scikit-learn's sklearn/cluster/tests/test_k_means.py to a
scratch folder, points its import line at quantize (k_means, the function, stays
scikit-learn's), supplies the two fixtures scikit-learn's conftest gives, and runs
it, leaving out what quantize does not offer by design: sparse input, the "elkan"
algorithm, `verbose`, `copy_x`, feature names, and tests of scikit-learn's private
helpers and attributes. Prints pytest's summary and each failure's first error line.

    pip install scikit-learn pytest
    python bench/sklearn_suite.py
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import sklearn
except ImportError:
    sys.exit("scikit-learn is not installed: pip install scikit-learn")

ORIGINAL_IMPORT = "from sklearn.cluster import KMeans, MiniBatchKMeans, k_means, kmeans_plusplus\n"
OURS = "from sklearn.cluster import k_means\nfrom quantize import KMeans, MiniBatchKMeans, kmeans_plusplus\n"
FIXTURES = '''import numpy as np
import pytest


@pytest.fixture
def global_random_seed():
    return 42


@pytest.fixture(params=["float64", "float32"])
def global_dtype(request):
    return np.dtype(request.param)
'''
# Not offered by design: sparse input, elkan, verbose, copy_x, feature names; and
# tests that read scikit-learn's private helpers or attributes.
LEFT_OUT = ("sparse or csr or elkan or verbose or copy_x or copyx or feature_names or input_data1 or input_data2 "
            "or _init_centroids or test_sample_weight_init or test_sample_weight_zero "
            "or test_minibatch_kmeans_init_size or test_minibatch_with_many_reassignments "
            "or test_minibatch_declared_convergence or test_euclidean_distance or test_inertia "
            "or test_relocate_empty_clusters or test_is_same_clustering or test_minibatch_update_consistency "
            "or test_kmeans_elkan_iter_attribute or test_threadpool_limits or test_labels_inertia")


def main():
    source = Path(sklearn.__file__).parent / "cluster" / "tests" / "test_k_means.py"
    text = source.read_text()
    if ORIGINAL_IMPORT not in text:
        sys.exit(f"{source}: its import line changed; update ORIGINAL_IMPORT")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "test_k_means_quantize.py").write_text(text.replace(ORIGINAL_IMPORT, OURS))
        (folder / "conftest.py").write_text(FIXTURES)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
                              "--tb=line", "-k", f"not ({LEFT_OUT})", "test_k_means_quantize.py"],
                             cwd=folder, capture_output=True, text=True)
    lines = run.stdout.splitlines()
    print(f"scikit-learn {sklearn.__version__}: {source}")
    for line in lines:
        if re.match(r"^/.*:\d+: ", line):  # --tb=line: one line per failure
            print("  " + line.split(": ", 1)[-1][:160])
    print(lines[-1] if lines else run.stderr)


if __name__ == "__main__":
    main()
