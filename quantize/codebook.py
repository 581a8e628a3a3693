"""The codebook: a palette and the feature space its colors are matched in."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._parallel import resolve_n_threads
from .engine.nearest import assign_labels
from .errors import InputError
from .features import check_space, colors_to_features, features_to_colors
from .histogram import color_histogram
from .io import load_image, write_atomically
from .palette import read_palette, to_hex


@dataclass(frozen=True)
class Codebook:
    """A palette of uint8 colors, matched to pixels by distance in ``space``.

    palette : ndarray (n_colors, 3) or (n_colors, 4) uint8
    space : {"rgb", "lab", "oklab"}

    Examples
    --------
    >>> import numpy as np
    >>> from quantize import Codebook
    >>> book = Codebook(np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8), "lab")
    >>> image = np.array([[[10, 10, 10], [250, 240, 245]]], dtype=np.uint8)
    >>> book.encode(image).tolist()
    [[0, 1]]
    >>> book.decode(book.encode(image))[0, 1].tolist()
    [255, 255, 255]
    """
    palette: np.ndarray
    space: str = "lab"

    def __post_init__(self):
        palette = np.asarray(self.palette)
        if palette.ndim != 2 or palette.shape[1] not in (3, 4) or len(palette) < 1:
            raise InputError(f"a palette must be (n_colors, 3) or (n_colors, 4), got shape {palette.shape}")
        if palette.dtype != np.uint8:
            if palette.dtype.kind not in "iu" or palette.min() < 0 or palette.max() > 255:
                raise InputError("palette colors must be integers in 0..255")
            palette = palette.astype(np.uint8)
        object.__setattr__(self, "palette", palette)
        check_space(self.space)

    @classmethod
    def from_centers(cls, centers, space):
        """The codebook whose palette is the nearest 8-bit colors to ``centers``."""
        return cls(features_to_colors(centers, space), space)

    @property
    def centers(self):
        """(n_colors, C) float64: the palette in the feature space."""
        return colors_to_features(self.palette, self.space)

    @property
    def has_alpha(self):
        return self.palette.shape[1] == 4

    def encode_colors(self, colors, n_threads=None):
        """Index of the nearest palette entry for each (n, C) uint8 color."""
        features = colors_to_features(self.match_channels(colors), self.space)
        return self.encode_features(features.astype(np.float32), n_threads)

    def encode_features(self, features, n_threads=None):
        """Index of the nearest palette entry for each (n, C) float32 feature row
        already in this codebook's space."""
        return assign_labels(features, self.centers, resolve_n_threads(n_threads))[0]

    def encode(self, image, n_threads=None):
        """(M, N) palette indices for an image (anything ``load_image`` reads)."""
        pixels = load_image(image).pixels
        n_threads = resolve_n_threads(n_threads)
        histogram = color_histogram(self.match_channels(pixels), n_threads)
        labels = self.encode_colors(histogram.colors, n_threads)
        return labels[histogram.inverse].reshape(pixels.shape[:2])

    def decode(self, labels):
        """(M, N, C) uint8 image of the palette colors at ``labels``."""
        labels = np.asarray(labels)
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.palette)):
            raise InputError(f"labels must be in 0..{len(self.palette) - 1}")
        return self.palette[labels]

    def match_channels(self, colors):
        if colors.shape[-1] == self.palette.shape[1]:
            return colors
        if colors.shape[-1] == 3:  # opaque input, palette with alpha
            return np.concatenate([colors, np.full(colors.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
        return colors[..., :3]  # alpha input, opaque palette: match the colors

    def save(self, path, *, overwrite=False):
        """Write the codebook as JSON (space and hex palette)."""
        text = json.dumps({"space": self.space, "palette": [to_hex(c) for c in self.palette]}, indent=1)
        write_atomically(path, lambda f: f.write(text.encode()), overwrite=overwrite)

    @classmethod
    def load(cls, path):
        """Read a codebook saved by ``save`` (or any palette file, matched in CIELAB)."""
        palette = read_palette(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except ValueError:
            data = None
        return cls(palette, data.get("space", "lab") if isinstance(data, dict) else "lab")
