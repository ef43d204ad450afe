"""The shape of the code (docs/ARCHITECTURE.md): imports run one way, with no cycle, lazy
imports included; models import no services; the project's own modules are imported at the
top of a module, except in the application factory and the CLI commands."""

from __future__ import annotations

import ast
import os

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(PROJECT, "hoering")
#: Modules whose functions may import the project's modules: the application factory and
#: the CLI commands (Flask's tutorial puts them there; they run once, at start-up or per command).
LAZY_IMPORTS_ALLOWED = {"hoering", "hoering.cli"}
#: Longest module, in lines, unless it is listed here with its reason.
MAX_LINES = 450
LONG_MODULES = {
    "hoering.config": "every setting with its default and meaning in one class, as docs/CONFIGURATION.md lists them",
    "hoering.cli": "the command group: one short function per command, each importing what it needs when it runs",
    "hoering.search.querying": "the query language and its scoring, one piece of Whoosh plumbing",
    "hoering.accounts.views": "the account pages (login, registration, profile, two-factor, deletion)",
    "hoering.search.backend": "the Whoosh index: schema, writing under a lock, and a searcher that outlives merges",
    "hoering.consultations.readercache": "a citizen's cached page: the stand-in reader, the one-query user loader, "
                                         "and every per-reader marker (stances, follow, forms) filled per request",
}


def modules() -> dict[str, str]:
    """``{dotted module name: file path}`` of every module of the package."""
    found = {}
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, PROJECT)[:-3].replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports_of(module: str, path: str) -> list[tuple[str, bool, int]]:
    """``(imported project module, inside a function?, line)`` for each import in ``path``."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read(), path)
    found = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((alias.name, nested, child.lineno) for alias in child.names
                             if alias.name in MODULES)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = module.split(".") if path.endswith("__init__.py") else module.split(".")[:-1]
                    parent = parent[:len(parent) - child.level + 1]
                    base = ".".join(parent + ([child.module] if child.module else []))
                for alias in child.names:
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                    if target in MODULES:
                        found.append((target, nested, child.lineno))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # imports for type checkers only are never run
            visit(child, nested)

    visit(tree, False)
    return found


def _is_type_checking(test) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


IMPORTS = {module: imports_of(module, path) for module, path in MODULES.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm),
    and modules that import themselves."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def connect(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle_lazy_imports_included():
    # The package itself (the application factory) imports the features to build the app;
    # every module's import of ``hoering.x`` runs the package first, which is Python's
    # doing, not a dependency of the module on the factory.
    edges = {module: {target for target, _lazy, _line in found if target != "hoering"}
             for module, found in IMPORTS.items() if module != "hoering"}
    assert cycles(edges) == []


def test_the_projects_modules_are_imported_at_the_top():
    lazy = [f"{module} line {line}: {target}" for module, found in IMPORTS.items()
            if module not in LAZY_IMPORTS_ALLOWED for target, nested, line in found if nested]
    assert lazy == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.endswith(".models")))
def test_models_import_no_services(module):
    assert [target for target, _lazy, _line in IMPORTS[module]
            if not (target.endswith(".models") or target.count(".") == 1)] == []


def test_a_features_services_do_not_import_a_higher_features_services():
    """Services of a feature may read a lower feature's services (an account's state, say)
    and use the model-level modules of any (the audit log, the outbox, the hold rules);
    none imports the services of a feature above it, in the order of docs/ARCHITECTURE.md:
    what those would do for it, they do as subscribers of its events."""
    order = ["accounts", "notices", "consultations", "comments", "moderation", "summaries", "responses",
             "meetings", "notifications", "alerts", "search", "outreach", "exports"]
    upward = []
    for module, found in IMPORTS.items():
        parts = module.split(".")
        # Views (L4) may call any feature's services; a feature's second module of views ends in "_views".
        if len(parts) != 3 or parts[1] not in order or parts[2] in ("views", "subscribers", "forms") \
                or parts[2].endswith("_views"):
            continue
        for target, _lazy, _line in found:
            target_parts = target.split(".")
            if len(target_parts) == 3 and target_parts[1] in order and target_parts[2] == "services" \
                    and order.index(target_parts[1]) > order.index(parts[1]):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_nothing_but_the_application_factory_imports_subscribers():
    """Subscribers are found only through their events: nobody calls one directly."""
    assert [f"{module} -> {target}" for module, found in IMPORTS.items() if module != "hoering"
            for target, _lazy, _line in found if target.endswith(".subscribers")] == []


def test_no_module_is_much_longer_than_its_peers_without_a_reason():
    long = []
    for module, path in MODULES.items():
        with open(path, encoding="utf-8") as file:
            lines = sum(1 for _ in file)
        if lines > MAX_LINES and module not in LONG_MODULES:
            long.append(f"{module}: {lines} lines")
    assert long == []


def test_only_the_sanitizer_imports_bleach():
    """bleach 6.4.0 is its final release: everything that cleans or strips HTML goes through
    hoering/sanitize.py, so that replacing bleach touches one module."""
    importers = set()
    for module, path in MODULES.items():
        with open(path, encoding="utf-8") as file:
            tree = ast.parse(file.read(), path)
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name == "bleach" or name.startswith("bleach.") for name in names):
                importers.add(module)
    assert importers == {"hoering.sanitize"}
