"""Color features: OKLab and CIELAB against published values and scikit-image,
the round trip back to 8-bit colors, and float32 against float64."""
import numpy as np
import pytest
from skimage.color import rgb2lab

from quantize.features import colors_to_features, features_to_colors

# Björn Ottosson's OKLab of sRGB white, red, green and blue (his post's table).
OKLAB_REFERENCE = {
    (255, 255, 255): (1.0, 0.0, 0.0),
    (255, 0, 0): (0.627955, 0.224863, 0.125846),
    (0, 255, 0): (0.866440, -0.233888, 0.179498),
    (0, 0, 255): (0.452014, -0.032457, -0.311528),
}


def test_oklab_of_the_primaries_is_ottossons():
    colors = np.array(list(OKLAB_REFERENCE), dtype=np.uint8)
    np.testing.assert_allclose(colors_to_features(colors, "oklab"), list(OKLAB_REFERENCE.values()), atol=2e-4)


def test_lab_is_scikit_images():
    colors = np.random.default_rng(0).integers(0, 256, (1000, 3), dtype=np.uint8)
    np.testing.assert_allclose(colors_to_features(colors, "lab"), rgb2lab(colors[None])[0], atol=1e-9)


@pytest.mark.parametrize("space", ["rgb", "lab", "oklab"])
@pytest.mark.parametrize("channels", [3, 4])
def test_round_trip_and_dtypes(space, channels):
    colors = np.random.default_rng(1).integers(0, 256, (5000, channels), dtype=np.uint8)
    wide = colors_to_features(colors, space)
    narrow = colors_to_features(colors, space, np.float32)
    assert wide.dtype == np.float64 and narrow.dtype == np.float32 and narrow.flags.c_contiguous
    assert wide.shape == (5000, channels)
    lightness_range = {"rgb": 255, "lab": 100, "oklab": 1}[space]
    np.testing.assert_allclose(narrow, wide, rtol=1e-5, atol=2e-6 * lightness_range)
    np.testing.assert_array_equal(features_to_colors(wide, space), colors)
    if channels == 4:  # alpha is a fourth feature, scaled like lightness
        np.testing.assert_allclose(wide[:, 3], colors[:, 3] / 255 * lightness_range)
