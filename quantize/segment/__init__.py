"""Segment images: the foreground by codebook color models and a graph cut
(``foreground``, over ``mixture`` and ``graphcut``), or k-means regions over color
and position (``regions``); ``cutout`` writes masks, cutouts and overlays."""
from .foreground import segment_foreground
from .regions import segment_regions

__all__ = ["segment_foreground", "segment_regions"]
