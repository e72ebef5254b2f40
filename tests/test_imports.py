"""The package has a bottom and a top: no import circle between the project's modules.

Reads nin/*.py and app.py with the standard library's `ast` (nothing is imported, so this runs in
a second), takes every import of a project module, at the top of a file or inside a function, and
fails on a circle, naming it (`nin.demo -> nin.inference -> ... -> nin.demo`). Also: a command-line
module reads its arguments in `main()` only, and no module of the package imports the app.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "nin"


def project_files():
    """{module name: path} for every module of the package (its subpackages included) and app.py."""
    def name(p):
        parts = p.relative_to(ROOT).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    files = {name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}
    files["app"] = ROOT / "app.py"
    return files


def imported_modules(tree, module, known):
    """The project modules that `module` imports anywhere in its source (top level or in a function)."""
    package = module if module == PACKAGE else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .x import y
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            for alias in node.names:  # `from nin import demo` imports the module nin.demo
                found.add(f"{base}.{alias.name}")
    return {m for m in found if m in known and m != module}


def import_graph():
    files = project_files()
    return {m: imported_modules(ast.parse(p.read_text(), str(p)), m, files) for m, p in files.items()}


def find_cycle(graph):
    """One import circle as a list [a, b, ..., a], or None (depth-first search, in a fixed order)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_names_a_circle():
    graph = {"nin.demo": {"nin.inference"}, "nin.inference": {"nin.export"}, "nin.export": {"nin.inside"},
             "nin.inside": {"nin.demo", "nin.data"}, "nin.data": set()}
    assert find_cycle(graph) == ["nin.demo", "nin.inference", "nin.export", "nin.inside", "nin.demo"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_level_and_relative_imports_are_seen():
    source = "import os\nfrom nin import demo, data\ndef f():\n    from nin.inside import x\n    from . import quiet\n"
    known = {"nin", "nin.demo", "nin.data", "nin.inside", "nin.quiet", "nin.model"}
    assert imported_modules(ast.parse(source), "nin.model", known) == {"nin", "nin.demo", "nin.data",
                                                                       "nin.inside", "nin.quiet"}


def test_no_import_circle_in_the_package():
    graph = import_graph()
    assert len(graph) > 10 and graph["nin.demo"], "the graph was not read"
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_module_of_the_package_imports_the_app():
    graph = import_graph()
    assert not [m for m, deps in graph.items() if m != "app" and "app" in deps]


# The layers of docs/layout.md, bottom first: a module imports only from its own layer or below.
# A module not listed here is checked for circles only (add it where it belongs).
LAYERS = [
    {"nin", "nin.architecture", "nin.quiet", "nin.data"},
    {"nin.model"},
    {"nin.weights"},
    {"nin.websafety"},
    {"nin.preprocess", "nin.drawings", "nin.plots", "nin.world", "nin.world.icons", "nin.world.sources",
     "nin.world.handdrawn", "nin.world.cache"},
    {"nin.inference", "nin.serving"},
    {"nin.inside", "nin.demo"},
    {"nin.evaluate", "nin.robustness", "nin.examples", "nin.predict", "nin.summary", "nin.export", "nin.train",
     "nin.card", "nin.bench", "nin.machine", "nin.trainbench", "nin.world.finetune", "nin.world.compare",
     "nin.world.sheet"},
    {"app"},
]


def test_no_module_imports_one_above_it():
    layer = {m: i for i, modules in enumerate(LAYERS) for m in modules}
    upward = [f"{m} (layer {layer[m] + 1}) imports {d} (layer {layer[d] + 1})"
              for m, deps in import_graph().items() if m in layer for d in sorted(deps) if layer.get(d, -1) > layer[m]]
    assert not upward, upward


@pytest.mark.parametrize("module", ["nin.weights", "nin.serving", "nin.inference", "nin.inside"])
def test_the_serving_side_does_not_import_the_page_or_the_command_line_tools(module):
    """The export CLI, the page's events and the app sit above these modules, never below them."""
    above = {"app", "nin.demo", "nin.export", "nin.train", "nin.bench", "nin.evaluate", "nin.robustness"}
    assert not import_graph()[module] & above


def reads_argv_outside_main(tree):
    """Lines where sys.argv is read or a parser parses the command line outside a function named main."""
    bad = []

    def walk(node, in_main):
        for child in ast.iter_child_nodes(node):
            inside = in_main or (isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name == "main")
            if not in_main:
                if isinstance(child, ast.Attribute) and child.attr == "argv":
                    bad.append(child.lineno)
                if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) \
                        and child.func.attr in ("parse_args", "parse_known_args"):
                    bad.append(child.lineno)
            walk(child, inside)

    walk(tree, False)
    return bad


def test_command_line_tools_read_argv_in_main_only():
    assert reads_argv_outside_main(ast.parse("import sys\nx = sys.argv\ndef main():\n    y = sys.argv\n")) == [2]
    offenders = {m: lines for m, p in project_files().items()
                 if (lines := reads_argv_outside_main(ast.parse(p.read_text())))}
    assert not offenders, offenders
