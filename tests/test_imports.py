"""The package has a bottom and a top: no import circle between the project's modules.

Reads nin/*.py and app.py with the standard library's `ast` (nothing is imported, so this runs in
a second), takes every import of a project module, at the top of a file or inside a function, and
fails on a circle, naming it (`nin.app.demo -> nin.serve.inference -> ... -> nin.app.demo`). Also: a command-line
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
            for alias in node.names:  # `from nin.app import demo` imports the module nin.app.demo
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
    graph = {"nin.app.demo": {"nin.serve.inference"}, "nin.serve.inference": {"nin.ship.export"}, "nin.ship.export": {"nin.app.inside"},
             "nin.app.inside": {"nin.app.demo", "nin.core.data"}, "nin.core.data": set()}
    assert find_cycle(graph) == ["nin.app.demo", "nin.serve.inference", "nin.ship.export", "nin.app.inside", "nin.app.demo"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_level_and_relative_imports_are_seen():
    source = "import os\nfrom nin.app import demo\nfrom nin.core import data\ndef f():\n    from nin.app.inside import x\n    from . import quiet\n"
    known = {"nin.app.demo", "nin.core.data", "nin.app.inside", "nin.core.quiet", "nin.core.model"}
    assert imported_modules(ast.parse(source), "nin.core.model", known) == {"nin.app.demo", "nin.core.data",
                                                                            "nin.app.inside", "nin.core.quiet"}


def test_no_import_circle_in_the_package():
    graph = import_graph()
    assert len(graph) > 10 and graph["nin.app.demo"], "the graph was not read"
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_module_of_the_package_imports_the_app():
    graph = import_graph()
    assert not [m for m, deps in graph.items() if m != "app" and "app" in deps]


# Which folder of nin/ may import which (docs/layout.md draws the same picture), bottom first: the
# core knows nothing of the pipeline, the pipeline nothing of serving, serving nothing of the page,
# and nothing below imports the tools on top. Modules inside one folder may import each other.
MAY_IMPORT = {
    "core": set(),
    "pipeline": {"core"},
    "world": {"core", "pipeline"},
    "serve": {"core", "pipeline"},
    "app": {"core", "pipeline", "serve"},
    "measure": {"core", "pipeline", "serve"},
    "ship": {"core", "pipeline", "world", "serve", "app", "measure"},
    "training": {"core", "pipeline", "world", "serve", "measure"},
    "speed": {"core", "pipeline", "world", "serve", "app", "measure", "ship", "training"},
    "app.py": {"core", "serve", "app"},
}


def folder(module):
    """nin.serve.inference -> serve; app -> app.py; nin -> None (the package's own __init__)."""
    if module == "app":
        return "app.py"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_lives_in_a_folder_by_job():
    flat = [p.name for p in (ROOT / PACKAGE).glob("*.py") if p.name != "__init__.py"]
    folders = {p.name for p in (ROOT / PACKAGE).iterdir() if (p / "__init__.py").exists()}
    assert not flat, f"modules outside a folder: {flat}"
    assert folders == set(MAY_IMPORT) - {"app.py"}, folders


def imports_not_allowed(graph):
    """'a imports b' for every import from a folder that MAY_IMPORT does not allow."""
    return [f"{m} imports {d}" for m, deps in sorted(graph.items()) for d in sorted(deps)
            if folder(d) and folder(d) != folder(m) and folder(d) not in MAY_IMPORT[folder(m)]]


def test_no_folder_imports_one_it_may_not():
    assert not imports_not_allowed(import_graph())


def test_the_folder_rule_names_an_upward_import():
    graph = {"nin.pipeline.preprocess": {"nin.serve.websafety", "nin.core.data"}, "app": {"nin.app.demo"}}
    assert imports_not_allowed(graph) == ["nin.pipeline.preprocess imports nin.serve.websafety"]


@pytest.mark.parametrize("module", ["nin.core.weights", "nin.serve.serving", "nin.serve.inference", "nin.app.inside"])
def test_the_serving_side_does_not_import_the_page_or_the_command_line_tools(module):
    """The export CLI, the page's events and the app sit above these modules, never below them."""
    above = {"app", "nin.app.demo", "nin.ship.export", "nin.training.train", "nin.speed.bench", "nin.measure.evaluate", "nin.measure.robustness"}
    assert not import_graph()[module] & above


def reads_argv_outside_main(tree):
    """Lines where sys.argv is read or a parser parses the command line outside a function named main
    (or parse_args(argv), the step of main that parses what main hands it)."""
    bad = []

    def walk(node, in_main):
        for child in ast.iter_child_nodes(node):
            inside = in_main or (isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                child.name == "main" or (child.name == "parse_args" and [a.arg for a in child.args.args][:1] == ["argv"])))
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
    assert reads_argv_outside_main(ast.parse("def parse_args(argv):\n    return p.parse_args(argv)\n"
                                             "def other():\n    return p.parse_args()\n")) == [4]
    offenders = {m: lines for m, p in project_files().items()
                 if (lines := reads_argv_outside_main(ast.parse(p.read_text())))}
    assert not offenders, offenders
