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


def test_every_module_is_installed():
    """A module missing from meson.build imports in an editable build and fails
    after `pip install .`; name it here instead."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    listed = (root / "quantize" / "meson.build").read_text() + (root / "meson.build").read_text()
    modules = [p for p in (root / "quantize").glob("*.py") if not p.name.endswith("_pythran.py")]
    missing = [p.name for p in modules if f"'{p.name}'" not in listed]
    missing += [f"cli/{p.name}" for p in (root / "cli").glob("*.py") if f"'cli/{p.name}'" not in listed]
    assert not missing, f"not installed by meson.build: {missing}"
