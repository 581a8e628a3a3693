"""Segmentation outputs: mask, cutout, overlay, label maps; and the per-file worker."""
import io
from dataclasses import dataclass

import numpy as np
import skimage  # submodules load on first use (scikit-image's lazy loader)
from PIL import Image

from ..errors import NoSubjectError
from .._parallel import resolve_n_threads
from ..io import check_output, load_image, png_bytes, write_atomically
from .confidence import MIN_CONFIDENCE, short_of
from .foreground import (EDGES, MIN_STABILITY, bounds_the_subject, check_box, cut_stability, hard_labels,
                         segment_foreground)
from .matting import matte_edges
from .regions import region_overlay, segment_regions

# Background brightness in the overlay: dim enough to see the cut, bright enough
# to judge what was left out.
OVERLAY_DIM = 0.35
BOUNDARY_COLOR = (255, 220, 0)


def mask_image(mask, alpha=None):
    """(M, N) bool to a mode "L" image: 255 foreground, 0 background; or, given a
    soft ``alpha`` (M, N) in [0, 1], that alpha in 0..255."""
    if alpha is not None:
        return Image.fromarray(np.rint(alpha * 255).astype(np.uint8), mode="L")
    return Image.fromarray(_opaque_where(mask), mode="L")


def _opaque_where(mask):
    """(M, N) uint8: 255 where ``mask``, else 0."""
    return np.ascontiguousarray(mask, dtype=bool).view(np.uint8) * np.uint8(255)


def cutout_image(pixels, mask, *, crop=False, alpha=None, colors=None):
    """RGBA image, transparent (0, 0, 0, 0) outside ``mask`` (an existing alpha is kept inside);
    with a soft ``alpha`` and the subject's ``colors`` (from matting), those; with
    ``crop``, cut to the subject's bounding box."""
    alpha = _opaque_where(mask) if alpha is None else np.rint(alpha * 255).astype(np.uint8)
    if pixels.shape[2] == 4:
        alpha = np.minimum(alpha, pixels[:, :, 3])
    rgba = np.empty(alpha.shape + (4,), dtype=np.uint8)
    rgba[:, :, :3] = pixels[:, :, :3] if colors is None else colors
    rgba[:, :, 3] = alpha
    # Fully transparent pixels keep no color (as GIMP saves them by default): nobody
    # sees it, and an 18 MP cutout encodes 3x faster and smaller without the old
    # background in it. (One multiply per pixel, its four bytes as one word.)
    rgba.view(np.uint32)[:, :, 0] *= alpha > 0
    if crop and alpha.any():
        rows, cols = np.nonzero(alpha)
        rgba = rgba[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA")


def mask_overlay(pixels, mask):
    """The photo with the background dimmed and the mask's outline drawn: (M, N, 3) uint8."""
    # One multiply by a factor per pixel: a boolean index of 18 MP took 1.8 s.
    factor = np.where(mask, np.float32(1.0), np.float32(OVERLAY_DIM))
    out = np.rint(pixels[:, :, :3] * factor[:, :, None]).astype(np.uint8)
    out[skimage.segmentation.find_boundaries(mask, mode="inner")] = BOUNDARY_COLOR
    return out


def label_image(labels):
    """A label map as an 8-bit gray PNG image when it fits, else 16-bit (PNG has
    no 32-bit gray; 65 536 regions are more than anyone asks for)."""
    if labels.max() < 256:
        return Image.fromarray(labels.astype(np.uint8), mode="L")
    return Image.fromarray(labels.astype(np.uint16))  # mode "I;16"


@dataclass(frozen=True)
class SegmentResult:
    """What the per-file worker measured: the foreground fraction and confidence
    (or the region count)."""
    shape: tuple
    foreground_fraction: float | None = None
    n_regions: int | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class SegmentSettings:
    """What ``segment`` does to each file: with ``n_regions``, k-means regions
    (:func:`segment_regions`, with ``spatial_weight``); otherwise the foreground
    (:func:`segment_foreground`, with ``box``, seeds, ``edges``, ``keep`` and
    ``smoothness``), and a cutout cropped to the subject with ``crop``, its edges
    soft with ``matting`` (:func:`matte_edges`; the mask then holds the alpha). Without a
    box or foreground seeds, a cut less sure than ``min_confidence`` fails, and so does
    one the next seeds do not repeat (:func:`cut_stability` below ``MIN_STABILITY``);
    ``min_confidence`` 0 keeps every cut."""
    box: tuple | None = None
    fg_seeds: np.ndarray | None = None
    bg_seeds: np.ndarray | None = None
    edges: tuple = EDGES
    keep: str = "all"
    smoothness: float | None = None  # segment_foreground's default: 30 with a box, 50 without
    crop: bool = False
    matting: bool = False
    n_regions: int | None = None
    spatial_weight: float = 1.0
    min_confidence: float = MIN_CONFIDENCE
    space: str = "lab"
    random_state: int | None = 0
    max_pixels: int | None = None

    def foreground_options(self, n_threads):
        """The keyword arguments of segment_foreground."""
        return {"box": self.box, "fg_seeds": self.fg_seeds, "bg_seeds": self.bg_seeds, "edges": self.edges,
                "keep": self.keep, "smoothness": self.smoothness, "space": self.space,
                "random_state": self.random_state, "n_threads": n_threads}


def segment_file(source, settings=SegmentSettings(), *, mask_path=None, cutout_path=None, overlay_path=None,
                 overwrite=False, n_threads=None):
    """Segment one file by ``settings`` (a :class:`SegmentSettings`) and write the
    asked outputs atomically (PNG): with regions, the label map to ``mask_path``
    and the region overlay to ``overlay_path``; else the mask, the RGBA cutout and
    the overlay.
    """
    targets = [p for p in (mask_path, cutout_path, overlay_path) if p is not None]
    for target in targets:
        check_output(target, overwrite)  # fail before the work, not after
    loaded = load_image(source, max_pixels=settings.max_pixels)
    pixels = loaded.pixels
    if settings.n_regions is not None:
        labels = segment_regions(pixels, settings.n_regions, spatial_weight=settings.spatial_weight,
                                 space=settings.space, random_state=settings.random_state, n_threads=n_threads)
        outputs = {mask_path: lambda: label_image(labels),
                   overlay_path: lambda: Image.fromarray(region_overlay(pixels, labels))}
        result = SegmentResult(labels.shape, n_regions=int(labels.max()) + 1)
    else:
        mask, confidence = segment_foreground(pixels, **settings.foreground_options(n_threads),
                                              return_confidence=True)
        _check_subject(mask, settings.box)
        # A box over the whole image says nothing: its cut is a no-box cut, refused alike.
        told = bounds_the_subject(settings.box, mask.shape) or (settings.fg_seeds is not None
                                                                and settings.fg_seeds.any())
        if not told and settings.min_confidence > 0:
            _check_clear_subject(pixels, mask, confidence, settings, n_threads)
        alpha, colors = matte_edges(pixels, mask) if settings.matting else (None, None)
        if alpha is not None:  # soft edges stop where the user said background or foreground is
            fg_hard, bg_hard = hard_labels(mask.shape, settings.box, settings.fg_seeds, settings.bg_seeds,
                                           settings.edges)
            alpha[bg_hard] = 0.0
            alpha[fg_hard] = 1.0
            colors[fg_hard] = pixels[:, :, :3][fg_hard]  # opaque: the photo's own colors, nothing unmixed
        outputs = {mask_path: lambda: mask_image(mask, alpha),
                   cutout_path: lambda: cutout_image(pixels, mask, crop=settings.crop, alpha=alpha, colors=colors),
                   overlay_path: lambda: Image.fromarray(mask_overlay(pixels, mask))}
        result = SegmentResult(mask.shape, foreground_fraction=float(mask.mean()), confidence=confidence)
    for target, picture in outputs.items():
        if target is not None:  # each picture made only when asked for: an overlay of 18 MP takes 1.6 s
            _write_png(target, picture(), loaded.icc_profile, overwrite, n_threads)
    return result


def _check_clear_subject(pixels, mask, confidence, settings, n_threads):
    """Refuse a cut made without a box or foreground seeds that is less sure than
    ``settings.min_confidence``, or that the color models' seed changes (checked only
    for cuts sure enough: two more cuts)."""
    hint = ("a box over the whole image marks no background: give a tighter --box or seeds"
            if settings.box is not None else "give --box or seeds")
    if confidence < settings.min_confidence:
        raise NoSubjectError(f"no clear subject (confidence {short_of(confidence, settings.min_confidence)}, below "
                             f"{settings.min_confidence:g}): {hint}, or --min-confidence 0 to keep the cut", confidence)
    stability = cut_stability(pixels, mask, **settings.foreground_options(n_threads))  # from the cut's seed on
    if stability < MIN_STABILITY:
        raise NoSubjectError(f"no clear subject (confidence {confidence:.2f}, but cuts with other random seeds "
                             f"overlap it by only {short_of(stability, MIN_STABILITY)}, below {MIN_STABILITY:g}): "
                             f"{hint}, or --min-confidence 0 to keep the cut", confidence)


# A foreground below this fraction of the image is no subject: a speck the cut kept
# (the cleaning keeps the largest part even when every part is below its size).
MIN_SUBJECT = 0.001


def _check_subject(mask, box):
    """An empty (or all but empty: below MIN_SUBJECT of the box, or of the image
    without one) or full mask is no cut: say so instead of writing it as a result."""
    hint = "give --fg-seeds or a tighter box" if box is not None else "give --box or seeds"
    area = mask.size
    if bounds_the_subject(box, mask.shape):  # a small subject in a small box is what was asked
        top, bottom, left, right = check_box(box, mask.shape)
        area = (bottom - top) * (right - left)
    if mask.sum() < MIN_SUBJECT * area:
        n = int(mask.sum())
        found = f" ({n} pixel{'s' if n > 1 else ''})" if n else ""
        raise NoSubjectError(f"no foreground found{found}: {hint}")
    if mask.all():
        raise NoSubjectError(f"no background found, the whole image came out as foreground: {hint}")


def _write_png(target, picture, icc_profile, overwrite, n_threads):
    if picture.width * picture.height >= LARGE_PHOTO_PIXELS and picture.mode in ("L", "RGB", "RGBA"):
        content = png_bytes(np.asarray(picture), icc_profile=icc_profile if picture.mode != "L" else None,
                            n_threads=resolve_n_threads(n_threads))
    elif picture.mode in ("RGB", "RGBA"):
        content = _photo_png(picture, icc_profile)
    else:
        content = _pillow_png(picture)
    write_atomically(target, lambda f: f.write(content), overwrite=overwrite)


# From this size on, pictures are written by png_bytes: every row filtered by the row
# above and deflated on every thread. On cutouts and overlays of three photos of
# 4-18 MP, 3-6x faster than _photo_png in 0.99-1.02x its bytes (17.9 MP cutout:
# 0.48 against 1.82 s). On the 0.1-0.3 MP samples oxipng's choice of filter per row
# costs little and saves 1-4%.
LARGE_PHOTO_PIXELS = 2_000_000


def _photo_png(picture, icc_profile):
    """PNG bytes of an RGB(A) photo (a cutout, an overlay) of a few pixels: rows
    filtered by the least sum of absolute differences, as Pillow does, deflated by
    libdeflate through oxipng, in 0.6x Pillow's time at its default level. Gray masks
    stay with Pillow, 3x faster there."""
    import oxipng  # only when a photo is written: keeps the CLI's import time

    color_type = oxipng.ColorType.rgba() if picture.mode == "RGBA" else oxipng.ColorType.rgb()
    raw = oxipng.RawImage(picture.tobytes(), picture.width, picture.height, color_type=color_type)
    if icc_profile:
        raw.add_icc_profile(icc_profile)
    return raw.create_optimized_png(level=0, filter=[oxipng.RowFilter.MinSum],
                                    deflate=oxipng.Deflaters.libdeflater(6), bit_depth_reduction=False,
                                    color_type_reduction=False, palette_reduction=False, grayscale_reduction=False)


def _pillow_png(picture):
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
