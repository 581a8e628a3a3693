"""Shared fixtures: real photos from sample_images/ and small synthetic images."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"


@pytest.fixture(scope="session")
def photo():
    """A real photo (CC0, 451x300) as uint8 RGB."""
    return np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB"))


@pytest.fixture
def photo_path(tmp_path, photo):
    path = tmp_path / "cat.png"
    Image.fromarray(photo).save(path)
    return path


@pytest.fixture
def gradient():
    """A smooth two-axis gradient: many colors, banding when quantized without dither."""
    rows, cols = np.mgrid[0:64, 0:96]
    return np.stack([rows * 4, cols * 255 // 95, np.full_like(rows, 128)], axis=2).astype(np.uint8)
