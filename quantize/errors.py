"""Errors and warnings raised by quantize.

Every error derives from :class:`QuantizeError`, so a caller (the CLI among them)
can report any of them in one place: :class:`UsageError` is a request that cannot
work whatever the files hold (the CLI exits 2 before any work); the others concern
one file or one call (exit 1).
"""
import functools
import sys
import warnings


class QuantizeError(Exception):
    """Base class of every error quantize raises on purpose."""


class InputError(QuantizeError, ValueError):
    """An argument or an input file is not what the function needs."""


class UsageError(InputError):
    """The request itself cannot be carried out: an output that is an input, two
    outputs on one path, a format that cannot hold what was asked."""


class OutputError(QuantizeError, OSError):
    """An output file cannot be written (the folder is missing or not writable)."""


class OutputExistsError(OutputError, FileExistsError):
    """The output file exists and overwriting was not asked for."""


class NoSubjectError(QuantizeError):
    """A segmentation found no foreground, nothing but foreground, or no subject it
    is sure of; ``confidence`` says how sure the refused cut was, when measured."""

    def __init__(self, message, confidence=None):
        super().__init__(message)
        self.confidence = confidence


class FewDistinctPointsWarning(UserWarning):
    """There are fewer distinct points (or colors) than clusters were asked for.

    KMeans then keeps ``n_clusters`` centers, copies included; a palette keeps the
    colors there are. When scikit-learn is imported, the warning issued is also a
    ``sklearn.exceptions.ConvergenceWarning`` (what scikit-learn warns here), so
    filters and ``pytest.warns`` written for either class catch it.
    """


class QualityNotReachedWarning(UserWarning):
    """No palette within the color limit reaches the quality asked for."""


class FirstFrameWarning(UserWarning):
    """An animated image was read as its first frame only."""


class NoMatchWarning(UserWarning):
    """A glob pattern among the inputs matched no image file (a typo, or a kind of
    file the folder does not hold); the other inputs are processed."""


class EarlierOutputWarning(UserWarning):
    """Files found in a folder or by a pattern were left out as the outputs an earlier
    run wrote beside other inputs (photo-mask.png beside photo.png)."""


class TransparencyWarning(UserWarning):
    """Semi-transparent pixels are written opaque: the output format (GIF) or the
    given palette has no semi-transparent colors."""


def naming(source, message):
    """``message`` as one line that starts with the file it is about."""
    message = " ".join(str(message).split())
    return message if message.startswith(str(source)) else f"{source}: {message}"


def warn_few_distinct_points(n_found, n_clusters, what, stacklevel=3):
    """The public functions' one warning when the data has fewer distinct points
    (of positive weight) than clusters were asked for."""
    # scikit-learn's words first (callers match on them), then what was done
    warnings.warn(f"Number of distinct clusters ({n_found}) found smaller than n_clusters ({n_clusters}). "
                  f"Possibly due to duplicate points in X: X has only {n_found} distinct points of positive "
                  f"weight; returning {what}", _few_distinct_category(), stacklevel=stacklevel)


def _few_distinct_category():
    """FewDistinctPointsWarning, or, once the caller has imported scikit-learn, a
    subclass of it and of scikit-learn's ConvergenceWarning (quantize never imports
    scikit-learn itself: it is heavy and not a dependency)."""
    exceptions = sys.modules.get("sklearn.exceptions")
    return FewDistinctPointsWarning if exceptions is None else _serving_both(exceptions.ConvergenceWarning)


@functools.cache
def _serving_both(convergence_warning):
    return type("FewDistinctPointsWarning", (FewDistinctPointsWarning, convergence_warning),
                {"__module__": __name__, "__doc__": FewDistinctPointsWarning.__doc__})
