"""Errors and warnings raised by quantize.

Every error derives from :class:`QuantizeError`, so a caller (the CLI among them)
can report any of them in one place: :class:`UsageError` is a request that cannot
work whatever the files hold (the CLI exits 2 before any work); the others concern
one file or one call (exit 1).
"""
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
    """A segmentation found no foreground, or nothing but foreground."""


class FewDistinctPointsWarning(UserWarning):
    """There are fewer distinct points (or colors) than clusters were asked for.

    The fit returns one cluster per distinct point instead of duplicating centers.
    """


class QualityNotReachedWarning(UserWarning):
    """No palette within the color limit reaches the quality asked for."""


class FirstFrameWarning(UserWarning):
    """An animated image was read as its first frame only."""


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
    warnings.warn(f"X has only {n_found} distinct points of positive weight, fewer than "
                  f"n_clusters={n_clusters}; returning {n_found} {what}", FewDistinctPointsWarning,
                  stacklevel=stacklevel)
