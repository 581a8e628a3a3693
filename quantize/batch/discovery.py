"""Inputs to sources: files, folders and patterns, each image once."""
import glob
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from ..errors import NoMatchWarning, UsageError

# Extensions that claim to be an image: such a file that cannot be decoded is a
# failure to report, not a file to skip. Files with other names are kept only
# when Pillow recognises their content.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm",
                    ".pgm", ".pbm", ".tga", ".ico", ".jp2", ".avif", ".heic"}
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Source:
    """An input file, its path relative to the folder it was found in, and whether
    it was named itself (not found in a folder or by a pattern)."""
    path: Path
    relative: Path
    named: bool = False


def _looks_like_image(path):
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with Image.open(path):
            return True
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is not an image
        return False


def _ignored(path):
    return path.name in IGNORED_NAMES or path.name.startswith("._") or path.name.endswith(".tmp")


def discover(inputs, recursive=False):
    """Files to process from files, folders and glob patterns, in a stable order.

    A folder contributes its images (all levels with ``recursive``), each with
    its path relative to the folder, so outputs can mirror the tree; a pattern's
    matches are relative to the folder before its first wildcard. Hidden
    AppleDouble files and ``.DS_Store`` are ignored; other files are kept when
    their extension or their content says image. A file given twice (or found
    twice) is one input. A path that does not exist (and is no pattern) is a
    UsageError; a pattern that matches no image file, a NoMatchWarning.
    """
    sources = []
    for item in inputs:
        item = str(item)
        path = Path(item)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in path.glob(pattern) if p.is_file() and not _ignored(p)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            sources += [Source(p, p.relative_to(path)) for p in found if _looks_like_image(p)]
        elif path.exists():
            sources.append(Source(path, Path(path.name), named=True))
        elif glob.has_magic(item):
            root = _pattern_root(item)
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True))
            found = [Source(p, p.relative_to(root)) for p in matches
                     if p.is_file() and not _ignored(p) and _looks_like_image(p)]
            if not found:  # said, as a shell leaves such a pattern to fail as a file name
                warnings.warn(f"{item}: no image file matches", NoMatchWarning, stacklevel=2)
            sources += found
        else:  # a typo, found before any work: nothing is done
            raise UsageError(f"{item}: no such file")
    return _once_each(sources)


def _pattern_root(pattern):
    """The folder of a glob pattern before its first wildcard: 'shots/**/*.jpg' -> 'shots'."""
    root = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        root.append(part)
    return Path(*root) if root else Path(".")


def _once_each(sources):
    """Each file once, where it first came; named if it was named anywhere (a
    file named after its folder is still one the user asked for by name)."""
    first = {}
    for source in sources:
        key = os.path.realpath(source.path)
        kept = first.setdefault(key, source)
        if source.named and not kept.named:
            first[key] = replace(kept, named=True)
    return list(first.values())
