"""The package's layout: data flows down through its floors, and no import goes back up
or around in a circle. Run `pytest tests/test_layout.py -s` to print who imports whom."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Floors, lowest first: a module imports only from its own part or a floor below;
# two parts on one floor (compress and segment) do not import each other. Only the
# CLI, at the top, imports the package root (its version).
FLOORS = [
    {"errors"},
    {"_lifetime", "_parallel", "_validation", "kernels"},
    {"io", "features", "histogram", "plots"},
    {"palette"},
    {"engine"},
    {"codebook"},
    {"compress", "segment"},
    {"batch"},
    {"cli"},
]
FLOOR_OF = {part: level for level, parts in enumerate(FLOORS) for part in parts}


def modules():
    """Every module of the package and the CLI, by dotted name, with its file."""
    found = {}
    for path in sorted((ROOT / "quantize").rglob("*.py")):
        parts = path.relative_to(ROOT / "quantize").with_suffix("").parts
        found[".".join(("quantize",) + parts).removesuffix(".__init__")] = path
    for path in sorted((ROOT / "cli").glob("*.py")):
        found[f"quantize.cli.{path.stem}".removesuffix(".__init__")] = path
    return found


def imports_of(name, path, known):
    """The package modules ``name`` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            candidates = [f"{target}.{alias.name}" for alias in node.names] + [target]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            if candidate in known and candidate != name:
                out.add(candidate)
                break
    return out


def part_of(name):
    """The floor part of a dotted module: "quantize.compress.fit" -> "compress"."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_flow_down_and_never_in_a_circle():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    upward = []
    for name, targets in graph.items():
        if part_of(name) == "__init__":
            continue  # the package's public face imports from every part
        for target in targets:
            here, there = part_of(name), part_of(target)
            if there == "__init__":
                if here != "cli":
                    upward.append(f"{name} -> {target} (the package root imports everything)")
            elif FLOOR_OF[there] > FLOOR_OF[here] or (FLOOR_OF[there] == FLOOR_OF[here] and there != here):
                upward.append(f"{name} -> {target}")
    assert not upward, "imports that go up or sideways:\n" + "\n".join(upward)
    # no circles, also within a part
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if part_of(target) == "__init__" or target.endswith(("quantize.compress", "quantize.segment",
                                                                 "quantize.engine", "quantize.batch")):
                continue
            if state.get(target) == "open":
                raise AssertionError("circular imports: " + " -> ".join(trail + [node, target]))
            if target not in state:
                visit(target, trail + [node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    for name in sorted(graph):
        print(f"{name:36} imports {', '.join(sorted(graph[name])) or 'nothing of the package'}")


def test_every_part_has_a_floor():
    parts = {part_of(name) for name in modules()} - {"__init__"}
    assert parts <= set(FLOOR_OF), parts - set(FLOOR_OF)


def test_the_cli_loads_no_heavy_module_it_does_not_need(tmp_path):
    """What only some options use is imported when they run: oxipng (--optimize),
    scipy.ndimage (--matting), Dask (--scheduler); scikit-learn never."""
    import subprocess
    import sys
    probe = ("import sys, quantize.cli.main; "
             "print(' '.join(m for m in ('oxipng', 'scipy.ndimage', 'distributed', 'sklearn') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
