"""The examples in the public docstrings run and print what they say."""
import doctest

import pytest

import quantize.compress.choose
import quantize.compress.pipeline
import quantize.engine.lloyd
import quantize.engine.minibatch
import quantize.engine.seeding
import quantize.segment.foreground
import quantize.segment.matting
import quantize.segment.regions


@pytest.mark.parametrize("module", [quantize.engine.lloyd, quantize.engine.minibatch, quantize.engine.seeding,
                                    quantize.compress.pipeline, quantize.compress.choose,
                                    quantize.segment.foreground, quantize.segment.matting,
                                    quantize.segment.regions])
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
    modules = [p.relative_to(root / "quantize") for p in (root / "quantize").rglob("*.py")
               if not p.name.endswith("_pythran.py")]
    missing = [str(p) for p in modules if f"'{p}'" not in listed]
    missing += [f"cli/{p.name}" for p in (root / "cli").glob("*.py") if f"'cli/{p.name}'" not in listed]
    assert not missing, f"not installed by meson.build: {missing}"


def test_version_matches_the_installed_package():
    """quantize.__version__ (which `quantize --version` prints) is what pip installed."""
    import importlib.metadata

    import quantize
    assert quantize.__version__ == importlib.metadata.version("quantize")
