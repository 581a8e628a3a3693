"""Segment images: the foreground by codebook color models and a graph cut
(``foreground``, over ``mixture`` and ``graphcut``), or k-means regions over color
and position (``regions``); ``confidence`` says how sure a cut is (and
``foreground.cut_stability`` whether it holds across seeds), ``matting``
softens its edges; ``cutout`` writes masks, cutouts and overlays."""
from .confidence import foreground_confidence
from .foreground import cut_stability, segment_foreground
from .matting import matte_edges
from .regions import segment_regions

__all__ = ["cut_stability", "foreground_confidence", "matte_edges", "segment_foreground", "segment_regions"]
