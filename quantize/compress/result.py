"""A compressed image: its palette, labels and error, and its file content."""
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..codebook import Codebook
from ..errors import TransparencyWarning, UsageError
from ..features import colors_to_features
from .formats import check_optimizable, optimize_png, output_format


@dataclass(frozen=True)
class CompressedImage:
    """An image reduced to a palette.

    palette : ndarray (n_colors, 3) or (n_colors, 4) uint8, most used first
    labels : ndarray (M, N) uint8 palette indices
    counts : ndarray (n_colors,) pixels per palette entry
    mse, psnr : float
        Mean squared error per color channel (0-255 scale) against the input over
        its visible pixels (an alpha error adds to it), and the matching PSNR in
        dB (inf when exact).
    space : str
        Feature space the palette was fitted in.
    icc_profile : bytes or None
    """
    palette: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    mse: float
    psnr: float
    space: str
    icc_profile: bytes | None = field(default=None, repr=False)

    @property
    def n_colors(self):
        """The palette entries some pixel uses (a shared or given palette may hold more)."""
        return int(np.count_nonzero(self.counts))

    @property
    def proportions(self):
        return self.counts / self.counts.sum()

    @property
    def codebook(self):
        return Codebook(self.palette, self.space)

    def to_array(self):
        """(M, N, 3|4) uint8: the decoded image."""
        return self.palette[self.labels]

    def to_pil(self):
        """A mode "P" image; per-entry alpha in ``info["transparency"]``."""
        image = Image.fromarray(self.labels, mode="P")
        image.putpalette(self.palette[:, :3].tobytes(), rawmode="RGB")
        if self.palette.shape[1] == 4 and (self.palette[:, 3] < 255).any():  # opaque: no tRNS chunk
            image.info["transparency"] = bytes(self.palette[:, 3].tolist())
        if self.icc_profile:
            image.info["icc_profile"] = self.icc_profile
        return image

    def encoded(self, fmt, *, optimize=False):
        """The image file content in one of OUTPUT_FORMATS: PNG, GIF, TIFF and BMP
        indexed, WebP lossless; every one holds exactly the palette's colors.
        ``optimize`` recompresses a PNG (see :func:`optimize_png`)."""
        spec = output_format(fmt)
        check_optimizable(spec.name, optimize)
        image = self._packed().to_pil() if spec.name == "PNG" else self.to_pil()
        options = dict(spec.save_options)
        alpha = self.palette[:, 3] if self.palette.shape[1] == 4 else np.full(len(self.palette), 255)
        if (alpha < 255).any():
            if spec.alpha == "none":
                raise UsageError(f"{spec.name} cannot hold transparency; write png, webp, tiff or gif")
            if spec.alpha == "binary":
                # GIF has one transparent index, not per-entry alpha.
                image.info.pop("transparency", None)
                transparent = np.flatnonzero(alpha == 0)
                if transparent.size:
                    options["transparency"] = int(transparent[0])
                partial = int(((alpha > 0) & (alpha < 255)).sum())
                if partial:
                    warnings.warn(f"GIF keeps only full transparency: {partial} semi-transparent colors "
                                  "written opaque (write png to keep them)", TransparencyWarning, stacklevel=2)
            elif not spec.indexed_alpha:
                image = Image.fromarray(self.to_array(), "RGBA")  # same colors, not indexed
        if spec.icc and self.icc_profile:
            options["icc_profile"] = self.icc_profile
        buffer = io.BytesIO()
        image.save(buffer, format=spec.name, **options)
        return optimize_png(buffer.getvalue()) if optimize else buffer.getvalue()

    def reordered(self, order):
        """The same image with palette entry ``order[i]`` at index ``i``."""
        rank = np.empty(len(order), dtype=self.labels.dtype)
        rank[order] = np.arange(len(order))
        return CompressedImage(self.palette[order], rank[self.labels], self.counts[order], self.mse, self.psnr,
                               self.space, self.icc_profile)

    def _packed(self):
        """The same image with its palette in order of lightness when it has at most
        16 colors: PNG packs those at 4 bits or fewer per pixel and filters the
        rows, and neighbouring indices of similar colors make the filtered rows
        smaller (4-20% on the sample photos at k = 16; at 8 bits the order changes
        nothing)."""
        if len(self.palette) > 16:
            return self
        lightness = colors_to_features(self.palette[:, :3], "oklab")[:, 0]
        return self.reordered(np.argsort(lightness, kind="stable"))
