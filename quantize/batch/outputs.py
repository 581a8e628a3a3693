"""Where outputs go: the one planner every command and every side output asks.

An :class:`OutputPlan` knows every file a run reads. Each output is claimed
before any work; a claim is refused (:class:`UsageError`) when the path is one of
the inputs (symlinks, ``./`` and hard links included) unless in-place was asked
for that input, or when another output of the run has it. The same plan applies
one skip/overwrite rule to every set of outputs.
"""
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import EarlierOutputWarning, OutputError, UsageError

SKIP_HINT = "--overwrite to redo"


def _real(path):
    return os.path.normcase(os.path.realpath(path))


def _inode(path):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


@dataclass(frozen=True)
class Decision:
    """What to do with one input's outputs: ``action`` is "run" or "skip";
    ``overwrite`` says whether existing outputs may be replaced."""
    action: str
    overwrite: bool
    message: str = ""


class OutputPlan:
    """Every output of one run, checked against its inputs and each other.

    inputs : paths the run reads (images, palette files, seed masks)
    overwrite : replace existing outputs instead of skipping their input
    in_place : an input may be replaced by its own output
    """

    def __init__(self, inputs, *, overwrite=False, in_place=False):
        self.overwrite, self.in_place = overwrite, in_place
        self._inputs = {}
        self._input_inodes = {}
        for path in inputs:
            self._inputs.setdefault(_real(path), Path(path))
            inode = _inode(path)
            if inode is not None:
                self._input_inodes.setdefault(inode, Path(path))
        self._claimed = {}

    def claim(self, target, owner=None, hint=""):
        """Register ``target`` as an output (of input ``owner``, if any) and return it
        as a Path; raise UsageError if it would replace an input or another output.
        ``hint`` ends the refusal (" or pass --in-place" where that would work)."""
        target = Path(target)
        real = _real(target)
        source = self._inputs.get(real) or self._input_inodes.get(_inode(target))
        if source is not None and not (self.in_place and owner is not None and _real(owner) == _real(source)):
            hint = hint if owner is not None and _real(owner) == _real(source) else ""
            which = "an input" if str(target) == str(source) else f"the input {source} (the same file)"
            raise UsageError(f"{target}: is {which}; an output never replaces an input: choose another output{hint}")
        if real in self._claimed:
            first = self._claimed[real]
            if first == owner:  # two outputs of one input, or of the whole run (--report, --save-palette)
                whose = "" if owner is None else f" of {owner}"
            else:
                whose = f" (of {first or 'the run'} and {owner or 'the run'})"
            raise UsageError(f"{target}: named for two outputs{whose}; choose distinct outputs")
        self._claimed[real] = owner
        return target

    def decide(self, source, targets):
        """The skip/overwrite rule, the same for every command: an input any of
        whose outputs exists is skipped unless ``overwrite``, so no existing file is
        replaced without asking. Outputs appear whole (a temporary file renamed), so
        a rerun of a killed run finishes the inputs it had not reached."""
        if self.in_place or self.overwrite:
            return Decision("run", True)
        existing = [t for t in targets if Path(t).exists()]
        if existing:
            return Decision("skip", False, f"skipped {source} ({existing[0]} exists; {SKIP_HINT})")
        return Decision("run", False)


def make_folder_for(path):
    """Create the folders an output goes in, as every command does (``-o out/sub/x.png``
    makes ``out/sub``); a file in the way is an OutputError naming the output."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{path}: cannot make its folder, a file is in the way") from None
    except OSError as error:
        raise OutputError(f"{path}: cannot make its folder ({error.strerror})") from None
    return Path(path)


def output_folder(output, inputs, n_sources):
    """Whether ``-o OUTPUT`` names a folder (returned as a Path) or one file (None).

    A folder when it is one, ends with a slash, or has no extension; several
    inputs (files, a folder or a pattern) need a folder, so a file name for them
    is a UsageError, not a folder made under a file's name.
    """
    if output is None:
        return None
    text = str(output)  # as typed: Path() would drop a trailing slash
    if text == "-":
        raise UsageError("-o -: writing to stdout is not supported; name a file or a folder")
    output = Path(output)
    folder_like = output.is_dir() or text.endswith(("/", os.sep)) or not output.suffix
    several = n_sources > 1 or len(inputs) > 1 or any(Path(i).is_dir() for i in inputs)
    if folder_like:
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output}: is a file, not a folder for the outputs")
        for folder in (Path(i) for i in inputs if Path(i).is_dir()):
            if Path(_real(output)).is_relative_to(_real(folder)):
                inside = _real(output) != _real(folder)
                where = f"is inside the input folder {folder}" if inside else "is the input folder"
                raise UsageError(f"{output}: {where}; the next run over it would take the outputs for inputs: "
                                 "choose a folder outside it")
        return output
    if several:
        # Count files only when each was named: a folder's or a pattern's may hold earlier outputs to leave out.
        found = any(Path(i).is_dir() or not Path(i).is_file() for i in inputs)
        what = "a folder or a pattern" if found or n_sources <= 1 else f"{n_sources} files"
        raise UsageError(f"{output}: names one file, but the inputs are {what}; give a folder (end it with /)")
    return None


def without_own_outputs(sources, targets_of, beside_of=None):
    """The sources less the files found in folders or by patterns that this run
    would write for another source: a rerun beside the inputs finds
    photo-quantized.png next to photo.png, and it is an output, not an input.
    ``targets_of(sources)`` gives each source's output paths, in order.

    ``beside_of(sources)``, alike, gives the outputs a run without output options
    writes beside each source: those found are left out too, as an earlier run's,
    with an EarlierOutputWarning naming them (a folder run after a run on one of its
    photos would otherwise cut out the earlier mask and report it done)."""
    kept = _without_outputs(sources, targets_of)
    if beside_of is None:
        return kept
    earlier = [s.path for s in kept if s not in _without_outputs(kept, beside_of)]
    if earlier:
        names = ", ".join(str(path) for path in earlier[:3])
        names += f" and {len(earlier) - 3} more" if len(earlier) > 3 else ""
        files, inputs, them = ("files", "their inputs", "them") if len(earlier) > 1 else ("file", "its input", "it")
        warnings.warn(f"left out {len(earlier)} {files} an earlier run wrote beside {inputs}: {names}; "
                      f"name {them} to process {them}",
                      EarlierOutputWarning, stacklevel=2)
    return [s for s in kept if s.path not in earlier]


def _without_outputs(sources, targets_of):
    owner_of = {}
    for source, targets in zip(sources, targets_of(sources)):
        for target in targets:
            owner_of.setdefault(_real(target), _real(source.path))
    kept = [s for s in sources if s.named or owner_of.get(_real(s.path), _real(s.path)) == _real(s.path)]
    return kept if len(kept) == len(sources) else _without_outputs(kept, targets_of)


def require_png(path, option):
    """Outputs written only as PNG (masks, cutouts, overlays, plots) must be named so."""
    if path is not None and Path(path).suffix.lower() != ".png":
        raise UsageError(f"{path}: {option} is written as PNG; name it .png")
    return path


def name_for(source, sources, suffix, ext):
    """``STEM{suffix}.{ext}``; when two inputs in one folder share a stem
    (photo.jpg, photo.png), their source extension stays in the name."""
    stem = source.relative.stem
    shared = sum(1 for s in sources if s.relative.parent == source.relative.parent and s.relative.stem == stem)
    if shared > 1:
        stem = source.relative.name
    return f"{stem}{suffix}.{ext}"


def place(source, folder, name):
    """The path of output ``name`` of ``source``: under ``folder`` at the source's
    place in its input tree, or beside the source when there is no folder."""
    base = folder / source.relative.parent if folder is not None else source.path.parent
    return base / name
