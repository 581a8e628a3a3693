"""One palette for a set of images, from every file's pixel sample pooled."""
import warnings
from pathlib import Path

from ..errors import InputError, QuantizeError, naming

# Pixels drawn from each file to learn a shared palette: enough for 256 colors,
# small enough that thousands of files never sit in memory together.
SHARED_SAMPLE = 65_536


def sample_colors(path, n_samples, seed, max_pixels=None):
    """Distinct colors and counts of up to ``n_samples`` visible pixels drawn from
    one image (every frame of an animation), and whether it has fully transparent
    pixels; or the reason it cannot be read (it fails again, alone, in the remap)."""
    import numpy as np

    from ..histogram import color_histogram
    from .animation import load_frames
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once, by the file's own task
            frames = load_frames(path, max_pixels=max_pixels).pixels
    except QuantizeError as error:
        return naming(path, error)
    pixels = np.concatenate([f.reshape(-1, f.shape[2]) for f in frames])
    transparent = pixels[:, 3] == 0 if pixels.shape[1] == 4 else np.zeros(len(pixels), bool)
    pixels = np.ascontiguousarray(pixels[~transparent, :3])
    if len(pixels) > n_samples:
        pixels = pixels[np.random.default_rng(seed).choice(len(pixels), n_samples, replace=False)]
    if len(pixels) == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64), bool(transparent.any())
    histogram = color_histogram(pixels[None], 1)
    return histogram.colors, histogram.counts, bool(transparent.any())


def learn_shared_palette(paths, n_colors, *, space="oklab", random_state=0, max_pixels=None,
                         n_samples=SHARED_SAMPLE, executor=None):
    """One palette for a set of images: weighted k-means on the pooled samples.

    With transparency in any image, one color fewer is learned: the remap of a
    transparent image adds a transparent entry, so no file holds more than
    ``n_colors``.

    Workers of ``executor`` (a process pool or a Dask executor; default: this
    process) draw each file's pixel sample and return its distinct colors with
    counts; here they add up in one table of every 8-bit color (128 MB however
    many files there are), and the palette is fitted on it as on one image's
    histogram. A sum does not depend on the order files arrive in, so neither does
    the palette. Returns (palette (n, 3) uint8, proportions (n,)).
    """
    import numpy as np

    from .._parallel import resolve_n_threads
    from .._validation import check_random_state
    from ..features import colors_to_features
    from ..histogram import ColorHistogram, color_codes, colors_of_codes
    from .fit import check_n_colors, learn_palette
    n_colors = check_n_colors(n_colors)
    seed = 0 if random_state is None else random_state
    arguments = ([Path(p) for p in paths], [n_samples] * len(paths), [(seed, i) for i in range(len(paths))],
                 [max_pixels] * len(paths))
    samples = executor.map(sample_colors, *arguments) if executor is not None else map(sample_colors, *arguments)
    pooled = np.zeros(1 << 24, dtype=np.int64)  # pixels drawn, per 8-bit RGB color
    unreadable, transparency = [], False
    for sample in samples:
        if isinstance(sample, str):
            unreadable.append(sample)
        else:
            colors, counts, transparent = sample
            pooled[color_codes(colors)] += counts  # a sample lists each color once
            transparency |= transparent
    if transparency:  # the remap adds a transparent entry: n_colors in all
        n_colors = max(1, n_colors - 1)
    codes = np.flatnonzero(pooled)
    if codes.size == 0:
        raise InputError(f"no readable image to learn a shared palette from ({unreadable[0]})"
                         if unreadable else "no image to learn a shared palette from")
    histogram = ColorHistogram(colors_of_codes(codes), pooled[codes], np.empty(0, dtype=np.int32))
    features = colors_to_features(histogram.colors, space, np.float32)
    n_threads = resolve_n_threads(None)
    book, _ = learn_palette(histogram, features, n_colors, space, check_random_state(random_state), n_threads)
    labels = book.encode_features(features, n_threads)
    weights = np.bincount(labels, weights=histogram.counts, minlength=len(book.palette))
    order = np.argsort(-weights, kind="stable")  # most used first, as every palette
    return book.palette[order], weights[order] / weights.sum()
