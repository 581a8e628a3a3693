"""The examples in the public docstrings run and print what they say."""
import doctest

import pytest

import quantize.compress
import quantize.lloyd
import quantize.minibatch
import quantize.regions
import quantize.seeding
import quantize.segment


@pytest.mark.parametrize("module", [quantize.lloyd, quantize.minibatch, quantize.seeding,
                                    quantize.compress, quantize.segment, quantize.regions])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
