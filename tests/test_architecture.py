"""The layering rules of docs/architecture.md, checked on the source: no import cycles, a kernel that imports
no feature, a camera worker that imports nothing from the service."""
from __future__ import annotations

import ast
from pathlib import Path

from graphlib import CycleError, TopologicalSorter

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("canteen", "camera", "reports")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, module: str, is_package: bool, top_level_only: bool) -> set[str]:
    """The project modules `module` imports (top level only, or anywhere in it)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    nodes: list[ast.AST] = list(tree.body) if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if top_level_only and isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            # "from pkg import module" imports a module, not a name, when pkg/module.py exists.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    sources = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
               if "migrations" not in path.parts]
    modules = {_module_name(p): p for p in sources}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in _imports(tree, name, path.name == "__init__.py", top_level_only):
            # Resolve to the longest known module ("canteen.x.y.func" -> "canteen.x.y").
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def _feature(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph (as the standard library's topological sort reports it), or []."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return []


def _edges(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return [(source, target) for source, targets in graph.items() for target in targets]


def test_no_module_level_import_cycle() -> None:
    assert _cycle(_graph(True)) == []


def test_no_cycle_between_packages() -> None:
    """Counting imports inside functions too: features depend on each other one way."""
    packages: dict[str, set[str]] = {}
    # The package's own __init__ ("canteen", the lazy app factory entry) is not a layer.
    for source, target in _edges(_graph(False)):
        if _feature(source) != _feature(target) and "canteen" not in (source, target):
            packages.setdefault(_feature(source), set()).add(_feature(target))
    assert _cycle(packages) == []


def test_kernel_imports_no_feature_and_camera_nothing_of_the_service() -> None:
    """The kernel may use the extension objects (the session for `fail`), nothing else of the service."""
    graph = _graph(False)
    allowed = ("canteen.core", "canteen.extensions")
    kernel_out = {t for s, t in _edges(graph) if s.startswith("canteen.core") and not t.startswith(allowed)}
    camera_out = {t for s, t in _edges(graph) if s.startswith("camera") and not t.startswith("camera")}
    assert kernel_out == set()
    assert camera_out == set()
