"""compress_image and the Codebook on real and synthetic images."""
import io
from pathlib import Path

import numpy as np
import pytest
import reference
from PIL import Image, ImageCms

from quantize import Codebook, FewDistinctPointsWarning, InputError, compress_image, compress_to_quality, kernels
from quantize import histogram as histogram_module
from quantize.compress.pipeline import with_profile
from quantize.errors import TransparencyWarning, UsageError
from quantize.histogram import color_histogram

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize("parallel_pixels", [1, 1 << 22])
def test_histogram_matches_numpy_unique(photo, monkeypatch, parallel_pixels):
    monkeypatch.setattr("quantize.histogram.PARALLEL_PIXELS", parallel_pixels)
    hist = color_histogram(photo, 2)
    flat = photo.reshape(-1, 3)
    unique, counts = np.unique(flat, axis=0, return_counts=True)
    order = np.lexsort(hist.colors.T[::-1])
    np.testing.assert_array_equal(hist.colors[order], unique)
    np.testing.assert_array_equal(hist.counts[order], counts)
    np.testing.assert_array_equal(hist.colors[hist.inverse], flat)
    assert not histogram_module._TABLE.any()  # left all zeros for the next image
    released = color_histogram(photo, 2, release_table=True)  # its 64 MB given back; the next makes it anew
    assert histogram_module._TABLE is None
    np.testing.assert_array_equal(released.counts, hist.counts)
    np.testing.assert_array_equal(color_histogram(photo, 2).counts, hist.counts)


def test_histogram_kernels_match_their_source():
    plain = reference.load_kernel_source("_histogram_pythran")
    rgb = np.random.default_rng(0).integers(0, 4, (50, 3), dtype=np.uint8)
    results = []
    for module in (kernels.histogram, plain):
        table = np.zeros(1 << 24, dtype=np.int32)
        codes = np.empty(50, np.int32)
        n = module.collect_colors(rgb, table, codes)
        sorted_codes = np.empty(50, np.int32)
        counted_table = np.zeros(1 << 24, dtype=np.int32)
        module.count_colors(rgb, counted_table)
        assert module.list_colors(counted_table, sorted_codes) == n
        counts, inverse = np.empty(n, np.int32), np.empty(50, np.int32)
        module.index_listed(table, codes[:n], counts)
        module.inverse_index(rgb, table, inverse, 2)
        module.clear_listed(table, codes[:n])
        assert not table.any()
        results.append((codes[:n], sorted_codes[:n], counts, inverse))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(results[0][0]), results[0][1])


@pytest.mark.parametrize("space", ["lab", "oklab", "rgb"])
@pytest.mark.parametrize("n_colors", [2, 16, 64])
def test_exactly_n_colors_on_a_photo(photo, space, n_colors):
    result = compress_image(photo, n_colors, space=space, random_state=0)
    assert result.palette.shape == (n_colors, 3)
    assert len(np.unique(result.palette, axis=0)) == n_colors
    assert result.labels.shape == photo.shape[:2] and result.labels.dtype == np.uint8
    assert set(np.unique(result.labels)) == set(range(n_colors))
    assert (np.diff(result.counts) <= 0).all()  # most used first
    diff = result.to_array().astype(float) - photo
    assert result.mse == pytest.approx(np.mean(diff ** 2), rel=1e-9)
    assert result.psnr == pytest.approx(10 * np.log10(255 ** 2 / result.mse))


def test_more_colors_lower_error(photo):
    errors = [compress_image(photo, n, space="rgb", random_state=0).mse for n in (4, 16, 64)]
    assert errors[0] > errors[1] > errors[2]


def test_rgb_space_is_a_real_kmeans_optimum(photo):
    # The learned palette is at least as good as plain Lloyd on every pixel from it.
    result = compress_image(photo, 16, space="rgb", random_state=0)
    pixels = photo.reshape(-1, 3).astype(np.float64)
    centers, labels, inertia, _ = reference.lloyd(pixels[::7], np.ones(len(pixels[::7])),
                                                  result.palette.astype(float), 5, 0)
    ours = reference.sqdist(pixels[::7], result.palette.astype(float)).min(axis=1).sum()
    assert ours <= inertia * 1.02


def test_seed_and_threads_reproduce(photo):
    a = compress_image(photo, 32, random_state=3, n_threads=1)
    b = compress_image(photo, 32, random_state=3, n_threads=2)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.labels, b.labels)


def test_few_colors_warn_and_are_kept_exactly():
    image = np.zeros((10, 10, 3), np.uint8)
    image[:5] = [200, 10, 10]
    with pytest.warns(FewDistinctPointsWarning, match="only 2 distinct"):
        result = compress_image(image, 8)
    assert len(result.palette) == 2 and result.mse == 0 and result.psnr == np.inf


def test_few_colors_warning_counts_what_was_asked_with_a_transparent_entry():
    image = np.zeros((10, 10, 4), np.uint8)
    image[:5] = [200, 10, 10, 255]
    image[5:8] = [10, 200, 10, 255]  # two visible colors; the rest transparent
    with pytest.warns(FewDistinctPointsWarning,
                      match="only 2 distinct visible colors, fewer than the 3 of the 4 asked left after one transparent entry"):
        result = compress_image(image, 4)
    assert len(result.palette) == 3


def test_alpha_is_kept_and_transparent_pixels_share_one_entry(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:100, :, 3] = 0                 # fully transparent band, colors left behind
    rgba[100:120, :, 3] = 128            # half transparent band
    result = compress_image(rgba, 16, random_state=0)
    assert result.palette.shape == (16, 4)
    transparent = np.flatnonzero(result.palette[:, 3] == 0)
    assert len(transparent) == 1
    assert (result.labels[:100] == transparent[0]).all()
    assert (result.labels[100:] != transparent[0]).all()
    assert np.abs(result.palette[result.labels[100:120], 3].astype(int) - 128).max() <= 16
    reopened = Image.open(io.BytesIO(result.encoded("png")))
    assert reopened.mode == "P" and "transparency" in reopened.info
    assert np.asarray(reopened.convert("RGBA"))[:100, :, 3].max() == 0


def test_indexed_png_and_gif_reopen_with_at_most_n_colors(photo):
    result = compress_image(photo, 24, random_state=0)
    for fmt in ("png", "gif", "tiff", "bmp"):
        reopened = Image.open(io.BytesIO(result.encoded(fmt)))
        assert reopened.mode == "P", fmt
        assert len(reopened.getcolors()) <= 24
        np.testing.assert_array_equal(np.asarray(reopened.convert("RGB")), result.to_array())


@pytest.mark.parametrize("fmt", ["png", "webp", "tiff"])
def test_every_format_with_alpha_holds_exactly_the_palette(photo, fmt):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:100, :, 3] = 0
    rgba[100:120, :, 3] = 128
    result = compress_image(rgba, 16, random_state=0)
    reopened = np.asarray(Image.open(io.BytesIO(result.encoded(fmt))).convert("RGBA"))
    np.testing.assert_array_equal(reopened, result.to_array())


def test_an_optimized_png_holds_the_same_palette_and_pixels_in_fewer_bytes(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:50, :, 3] = 0
    rgba[50:60, :, 3] = 128
    unused = np.array([[255, 0, 255, 255]], np.uint8)  # locked: in the palette even where no pixel is
    result = with_profile(compress_image(rgba, 20, locked_colors=unused, random_state=0), SRGB)
    plain, optimized = result.encoded("png"), result.encoded("png", optimize=True)
    assert len(optimized) < 0.97 * len(plain)
    assert optimized == result.encoded("png", optimize=True)
    reopened = Image.open(io.BytesIO(optimized))
    assert reopened.mode == "P" and reopened.info["icc_profile"] == SRGB
    np.testing.assert_array_equal(np.asarray(reopened.convert("RGBA")), result.to_array())
    assert reopened.getpalette("RGB") == Image.open(io.BytesIO(plain)).getpalette("RGB")
    assert (255, 0, 255) in {tuple(c) for c in result.palette[:, :3]}
    with pytest.raises(UsageError, match="optimize recompresses PNG"):
        result.encoded("gif", optimize=True)


def test_formats_that_cannot_hold_the_result_are_refused_or_warned(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:50, :, 3] = 0
    rgba[50:100, :, 3] = 128
    result = compress_image(rgba, 8, random_state=0)
    with pytest.raises(UsageError, match="BMP cannot hold transparency"):
        result.encoded("bmp")
    with pytest.raises(UsageError, match="JPEG cannot keep N colors"):
        result.encoded("jpg")
    with pytest.warns(TransparencyWarning, match="GIF keeps only full transparency"):
        reopened = Image.open(io.BytesIO(result.encoded("gif")))
    assert np.asarray(reopened.convert("RGBA"))[:50, :, 3].max() == 0


def test_error_figures_count_only_visible_pixels(photo):
    """Transparent pixels' colors are invisible: changing them changes no figure,
    plain or dithered, and the figures equal those of the visible part alone."""
    visible = photo[:, 200:]
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:, :200, 3] = 0
    other = rgba.copy()
    other[:, :200, :3] = 0
    for dither in (False, True):
        a = compress_image(rgba, 16, random_state=0, dither=dither)
        b = compress_image(other, 16, random_state=0, dither=dither)
        assert a.mse == pytest.approx(b.mse) and a.psnr > 20
        labels = a.labels[:, 200:]
        diff = a.palette[labels].astype(float) - np.dstack([visible, np.full(visible.shape[:2], 255)])
        assert a.mse == pytest.approx((diff ** 2).sum(axis=2).mean() / 3)
        assert (a.palette[a.labels[:, :200], 3] == 0).all()
    opaque = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    assert compress_image(opaque, 16, random_state=0).mse == pytest.approx(
        compress_image(photo, 16, random_state=0).mse)  # alpha is not a color channel


def test_an_interrupted_histogram_leaves_the_table_clean(photo, monkeypatch):
    real = kernels.histogram

    class Kernels:
        def __getattr__(self, name):
            return getattr(real, name)

        def inverse_index(self, *args):
            raise KeyboardInterrupt

    monkeypatch.setattr(kernels, "histogram", Kernels())
    with pytest.raises(KeyboardInterrupt):
        color_histogram(photo, 1)
    monkeypatch.setattr(kernels, "histogram", real)
    assert not histogram_module._TABLE.any()
    hist = color_histogram(photo[:50], 1)
    np.testing.assert_array_equal(hist.counts.sum(), 50 * photo.shape[1])
    assert len(hist.colors) == len(np.unique(photo[:50].reshape(-1, 3), axis=0))


def test_histogram_of_a_strided_view(photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    hist = color_histogram(rgba[:, :, :3], 1)  # an RGB view of RGBA pixels: not contiguous
    np.testing.assert_array_equal(hist.colors[hist.inverse], photo.reshape(-1, 3))


def test_codebook_round_trip(tmp_path, photo):
    result = compress_image(photo, 16, random_state=0)
    book = result.codebook
    np.testing.assert_array_equal(book.encode(photo), result.labels)
    np.testing.assert_array_equal(book.decode(book.encode(photo)), result.to_array())
    book.save(tmp_path / "book.json")
    loaded = Codebook.load(tmp_path / "book.json")
    np.testing.assert_array_equal(loaded.palette, book.palette)
    assert loaded.space == book.space


def test_remap_to_a_fixed_palette(photo):
    palette = np.array([[0, 0, 0], [255, 255, 255], [128, 64, 32]], dtype=np.uint8)
    result = compress_image(photo, None, palette=palette)
    assert {tuple(c) for c in result.palette} <= {tuple(c) for c in palette}


def test_locked_colors_are_kept(photo):
    locked = np.array([[255, 0, 255], [0, 255, 0]], dtype=np.uint8)
    result = compress_image(photo, 12, locked_colors=locked, random_state=0)
    assert len(result.palette) == 12
    kept = {tuple(c) for c in result.palette}
    assert (255, 0, 255) in kept and (0, 255, 0) in kept
    free = compress_image(photo, 10, random_state=0)
    assert result.mse < 1.5 * free.mse


@pytest.mark.parametrize("space, n_colors, gain", [("rgb", 4, 0.6), ("lab", 16, 0.85)])
def test_dither_keeps_local_means(gradient, space, n_colors, gain):
    # Error diffusion happens in the feature space, so it keeps local means best there.
    plain = compress_image(gradient, n_colors, space=space, random_state=0)
    dithered = compress_image(gradient, n_colors, space=space, dither=True, random_state=0)
    assert len(np.unique(dithered.labels)) <= n_colors

    def block_means(image):
        return image.astype(float).reshape(8, 8, 12, 8, 3).mean(axis=(1, 3))

    target = block_means(gradient)
    assert np.abs(block_means(dithered.to_array()) - target).mean() < gain * np.abs(
        block_means(plain.to_array()) - target).mean()
    assert dithered.mse == pytest.approx(np.mean((dithered.to_array().astype(float) - gradient) ** 2))


def test_quality_target_picks_the_fewest_colors(photo):
    result = compress_to_quality(photo, 30.0, max_colors=64, random_state=0)
    assert result.psnr >= 30.0
    fewer = compress_image(photo, len(result.palette) - 1, random_state=0)
    assert fewer.psnr < 30.0


@pytest.mark.parametrize("kwargs, match", [
    ({"n_colors": None, "palette": np.zeros((300, 3), np.uint8)}, "at most 256 colors"),
    ({"n_colors": 0}, "n_colors must be an integer from 1 to 256"),
    ({"n_colors": 257}, "n_colors must be"),
    ({"n_colors": 4, "space": "hsv"}, "space must be one of"),
    ({"n_colors": 2, "locked_colors": np.zeros((3, 3), np.uint8)}, "leaves no color"),
])
def test_bad_arguments(photo, kwargs, match):
    n_colors = kwargs.pop("n_colors")
    with pytest.raises(InputError, match=match):
        compress_image(photo, n_colors, **kwargs)


def test_dither_kernel_matches_its_source_and_nearest_when_flat():
    from quantize.engine.nearest import CenterGeometry
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 100, (5, 7, 3)).astype(np.float32)
    centers = rng.uniform(0, 100, (6, 3))
    g = CenterGeometry.of(centers)
    low, high = centers.min(axis=0), centers.max(axis=0)
    fixed = np.full((5, 7), -1, np.int32)
    fixed[2, 1:4] = 5  # pixels that keep label 5 and absorb the error
    got, plain = fixed.copy(), fixed.copy()
    kernels.nearest.dither_floyd_steinberg(image, centers, g.order, g.cc_sorted, low, high, 0.8, got)
    reference.load_kernel_source("_nearest_pythran").dither_floyd_steinberg(
        image, centers, g.order, g.cc_sorted, low, high, 0.8, plain)
    np.testing.assert_array_equal(got, plain)
    assert (got[2, 1:4] == 5).all() and (got >= 0).all()
    # An image made of palette colors has no error to diffuse: dithering is the identity.
    exact = np.ascontiguousarray(centers[rng.integers(0, 6, (5, 7))].astype(np.float32))
    got = np.full((5, 7), -1, np.int32)
    kernels.nearest.dither_floyd_steinberg(exact, centers, g.order, g.cc_sorted, low, high, 1.0, got)
    np.testing.assert_array_equal(centers[got].astype(np.float32), exact)


def test_the_handbook_example_in_two_lines(tmp_path):
    import quantize
    china = Path(__file__).resolve().parents[1] / "sample_images" / "china.jpg"
    quantize.compress_image(china, 16).to_pil().save(tmp_path / "china-16.png")
    with Image.open(tmp_path / "china-16.png") as image:
        assert image.mode == "P" and len(image.getcolors()) == 16


@pytest.mark.parametrize("n_bands", [1, 3, 23])
def test_smoothness_weights_against_numpy_and_their_source(n_bands):
    from scipy import ndimage
    rng = np.random.default_rng(0)
    color_lightness = rng.uniform(0, 1, 7).astype(np.float32)
    inverse = rng.integers(0, 7, (23, 31)).astype(np.int32)
    inverse[5:15, 5:20] = 3  # a flat patch
    lightness = color_lightness[inverse]
    spread = ndimage.maximum_filter(lightness, 3, mode="nearest") - ndimage.minimum_filter(lightness, 3, mode="nearest")
    expected = np.bincount(inverse.ravel(), weights=(0.25 + 1 / (1 + (spread / 0.05) ** 2)).ravel(), minlength=7)
    source = reference.load_kernel_source("_histogram_pythran")
    for kernel, n_threads in ((kernels.histogram, 1), (kernels.histogram, 2), (source, 1)):
        bands = np.zeros((n_bands, 7))
        kernel.smoothness_weights(color_lightness, inverse.ravel(), 31, 0.05, 0.25, bands, n_threads)
        np.testing.assert_allclose(bands.sum(axis=0), expected, rtol=1e-6)


def test_smoothness_weights_do_not_depend_on_the_thread_count(photo):
    from quantize.compress.fit import smoothness_weights
    from quantize.histogram import color_histogram
    pixels = np.tile(photo, (3, 3, 1))  # 1.2 MP: three bands
    histogram = color_histogram(pixels, 1)
    one = smoothness_weights(histogram, pixels.shape, n_threads=1)
    assert np.array_equal(one, smoothness_weights(histogram, pixels.shape, n_threads=2))
    assert np.array_equal(one, smoothness_weights(histogram, pixels.shape, n_threads=3))


def test_palette_spends_colors_where_the_image_is_smooth(gradient):
    """Half a smooth gradient, half noise: weighing by smoothness gives the gradient
    more of the palette, so it bands less, and the rgb space keeps exact k-means."""
    noise = np.random.default_rng(0).integers(0, 256, gradient.shape, dtype=np.uint8)
    image = np.concatenate([gradient, noise], axis=1)
    smooth = compress_image(image, 16, random_state=0)
    plain = compress_image(image, 16, random_state=0, weigh_smoothness=False)
    half = gradient.shape[1]

    def gradient_error(result):
        return np.mean((result.to_array()[:, :half].astype(float) - gradient) ** 2)
    assert gradient_error(smooth) < gradient_error(plain)


def test_fit_palette_is_the_palette_compress_image_learns(photo):
    from quantize.compress.fit import fit_palette
    learned = fit_palette(photo, 16, random_state=0)
    used = compress_image(photo, 16, random_state=0).palette  # the same colors, most used first
    assert {tuple(c) for c in learned} == {tuple(c) for c in used}


@pytest.mark.parametrize("channels", [3, 4])
def test_bin_colors_match_a_numpy_reference(channels):
    from quantize.histogram import bin_colors
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, (3000, channels), dtype=np.uint8)
    features = rng.normal(size=(3000, channels)).astype(np.float32)
    weights = rng.uniform(0, 2, 3000)
    weights[::5] = 0  # a bin of weightless colors keeps a zero mean
    means, bin_weights, bin_of_color = bin_colors(colors, features, weights, 3)
    codes = np.ravel_multi_index(tuple((colors >> 5).T), (8,) * channels)
    unique, expected_bins = np.unique(codes, return_inverse=True)
    np.testing.assert_array_equal(bin_of_color, expected_bins)
    expected_weights = np.bincount(expected_bins, weights=weights)
    np.testing.assert_allclose(bin_weights, expected_weights)
    sums = np.stack([np.bincount(expected_bins, weights=weights * features[:, f]) for f in range(channels)], axis=1)
    positive = expected_weights > 0
    np.testing.assert_allclose(means[positive], sums[positive] / expected_weights[positive, None], rtol=1e-12)
    assert (means[~positive] == 0).all()
