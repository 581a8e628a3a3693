"""Errors and warnings raised by quantize.

Every error derives from :class:`QuantizeError`, so a caller (the CLI among them)
can report any of them in one place.
"""


class QuantizeError(Exception):
    """Base class of every error quantize raises on purpose."""


class InputError(QuantizeError, ValueError):
    """An argument or an input file is not what the function needs."""


class FewDistinctPointsWarning(UserWarning):
    """There are fewer distinct points (or colors) than clusters were asked for.

    The fit returns one cluster per distinct point instead of duplicating centers.
    """
