"""The code keeps its shape: layered feature packages, one transaction convention.

Layers, lowest first: core modules (configuration, errors, time, wire types, the unit of
work), then shared capabilities (photos, throttles, the activity log), then the features in
the order below. A feature's domain modules (models, services, queries, schemas ...) use
only core, capabilities and lower features. The edge (pages, API, forms, CLI of each
feature) sits above every domain layer and may use any of them. The app's assembly
(create_app, navigation, the front door, demo data) sits on top. No module imports itself
round in a circle, and nothing imports inside a function to dodge one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fieldapp"

CORE = {
    "extensions",
    "dbtypes",
    "errors",
    "config",
    "database",
    "unit_of_work",
    "localtime",
    "wire",
    "limits",
    "form_values",
    "csvfile",
    "csvimport",
    "security",
    "textsearch",
    "jsonrows",
}
# Shared capabilities, then features: each may use only those before it.
LAYERS = [
    "activity",
    "throttle",
    "photos",
    "pdf",
    "auth",
    "customers",
    "equipment",
    "sops",
    "training",
    "inventory",
    "jobs",
    "settings",
    "visits",
    "public",  # a requester's status page shows the visit's report
    "messages",
    "sync",
    "contracts",  # PM plans make jobs; a contract's response time and coverage reach its jobs
    "notify",  # tells people of events: listens on the activity feed, attaches reports
    "office",
]
EDGE_MODULES = {"views", "files_views", "api", "forms", "printing", "cli", "access"}
APP = {
    "__init__",
    "models",
    "cli",
    "templating",
    "home",
    "pwa",
    "static_files",
    "compression",
    "api",
    "demo",
    "backup",  # backs up every table and file; wraps `flask db upgrade`
}
# The API's shared edge (blueprint, body loading, OpenAPI) is what every feature's api uses.
SHARED_EDGE = {"fieldapp.api"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def kind(module: str) -> tuple[str, str]:
    """("core"|"app"|"domain"|"edge", package) for a fieldapp module."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    if top in CORE:
        return "core", top
    if top in LAYERS:
        return ("edge" if parts[-1] in EDGE_MODULES else "domain"), top
    assert top in APP, f"{module}: not in any layer; add it to CORE, LAYERS or APP"
    return "app", top


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found |= {id(child) for child in ast.walk(node)}
    return found


def imports(path: Path, modules: set[str]) -> list[tuple[str, bool]]:
    """(imported fieldapp module, inside a function?) for each runtime import in the file."""
    tree = ast.parse(path.read_text())
    type_only = _type_checking_nodes(tree)
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside |= {id(child) for child in ast.walk(node) if child is not node}
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = f"{package or module_name(path)}.{base}".rstrip(".")
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        targets = {name for name in names if name in modules}
        # "from fieldapp.x import y" names the module y when there is one, else the module x.
        specific = {t for t in targets if any(n == t for n in names[:-1])} or targets
        found += [
            (target, id(node) in inside) for target in specific if target.startswith("fieldapp")
        ]
    return found


GRAPH = {module: imports(path, set(sources())) for module, path in sources().items()}


def allowed(source: str, target: str) -> bool:
    (source_kind, source_pkg), (target_kind, target_pkg) = kind(source), kind(target)
    if source_kind == "app" or target_kind == "core":
        return True
    if source_kind == "core":
        return False
    if source_kind == "domain":
        return target_kind == "domain" and LAYERS.index(target_pkg) <= LAYERS.index(source_pkg)
    return target_kind in ("domain", "edge") or target in SHARED_EDGE  # the edge


def test_every_module_has_a_layer():
    for module in GRAPH:
        kind(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down_the_layers(module):
    """Does each module use only what its layer may (no upward import)?"""
    wrong = [
        target for target, _ in GRAPH[module] if target != module and not allowed(module, target)
    ]
    assert not wrong, f"{module} ({'/'.join(kind(module))}) may not import {wrong}"


def test_nothing_imports_inside_a_function():
    inside = [
        f"{module} imports {target}"
        for module, found in GRAPH.items()
        for target, in_function in found
        if in_function
    ]
    assert inside == []


def test_no_import_cycle():
    """Is the module graph free of cycles (each module reachable from itself only trivially)?"""
    edges = {module: {t for t, _ in found if t != module} for module, found in GRAPH.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layer_check_catches_an_upward_import():
    """Would the check fail for visits importing office, or a model importing a page?"""
    assert not allowed("fieldapp.visits.services", "fieldapp.office.queries")
    assert not allowed("fieldapp.jobs.queries", "fieldapp.messages.queries")
    assert not allowed("fieldapp.jobs.services", "fieldapp.jobs.views")
    assert not allowed("fieldapp.errors", "fieldapp.auth.access")
    assert allowed("fieldapp.visits.services", "fieldapp.jobs.services")
    assert allowed("fieldapp.equipment.views", "fieldapp.visits.history")


# -- one transaction convention --------------------------------------------------------------

TRANSACTION_CALLS = {"commit", "rollback"}


def _session_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    calls = []
    for node in ast.walk(tree):
        is_call = isinstance(node, ast.Attribute) and node.attr in TRANSACTION_CALLS
        if is_call and "session" in ast.unparse(node.value):
            calls.append(f"{node.lineno}: {ast.unparse(node)}")
    return calls


def test_only_the_unit_of_work_commits_or_rolls_back():
    found = {
        module: calls
        for module, path in sources().items()
        if module != "fieldapp.unit_of_work" and (calls := _session_calls(path))
    }
    assert found == {}


@pytest.mark.parametrize(
    "module", sorted(m for m in GRAPH if kind(m)[0] == "edge" and m.split(".")[-1] != "access")
)
def test_pages_and_api_never_touch_the_session(module):
    """Views, API endpoints and form readers call services and queries; the session is theirs."""
    text = sources()[module].read_text()
    assert "db.session" not in text
