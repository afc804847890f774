"""The view contract: one registry, typed options, no view reaching into another kind."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from dash import Dash

import latent_dash.views as views_package
from latent_dash import page
from latent_dash.kinds import View, registry
from latent_dash.ui import columns, selection_bar

VIEWS = Path(views_package.__file__).parent
SHARED_STORES = {
    page.SELECTION_MASK,
    page.SELECTION,
    page.SELECTION_UPLOAD,
    page.FOCUS,
    page.FILTER,
    page.DERIVED,
    page.COLOR_REQUEST,
    page.AXES_REQUEST,
    page.PROJECTION_REQUEST,
    page.SAMPLES_OVERLAY,
}


def kind_modules() -> dict[str, str]:
    """Module name -> kind, for every module of views/ that defines a kind."""
    return {view.__module__.rsplit(".", 1)[1]: kind for kind, view in registry().items()}


def test_every_module_defining_a_kind_is_registered_once():
    kinds = registry()
    assert len(kinds) >= 16
    for kind, view in kinds.items():
        assert issubclass(view, View) and view.kind == kind
        assert view.Options.model_fields["type"].default == kind
        assert view.Options().type == kind  # the options know their kind
    defined = {
        node.name
        for path in VIEWS.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(getattr(base, "id", None) == "View" for base in node.bases)
    }
    assert len(defined) == len(kinds)  # a View subclass nobody registered would be lost


def test_a_kind_defined_twice_or_without_its_type_is_refused():
    from typing import Literal

    from latent_dash.kinds import ViewOptions

    with pytest.raises(TypeError, match="needs type"):

        class Untyped(View):
            kind = "untyped-kind"
            label = "Untyped"

    class DuplicateOptions(ViewOptions):
        type: Literal["scatter"] = "scatter"

    with pytest.raises(TypeError, match="defined twice"):

        class Duplicate(View):
            kind = "scatter"
            label = "Another scatter"
            Options = DuplicateOptions

    assert registry()["scatter"].__name__ == "Scatter"


def test_no_view_module_imports_another_view_module():
    kinds = kind_modules()
    for path in VIEWS.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "latent_dash.views":
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "latent_dash.views."
            ):
                imported.add(node.module.rsplit(".", 1)[1])
        if path.stem in kinds:
            assert not imported & set(kinds), f"{path.name} imports {imported & set(kinds)}"


def _ids(dependency_text: str) -> list:
    """The component ids a callback_map key names ("id.prop", or "..a.p...b.p.." for several
    outputs; a callback without outputs is keyed by a bare hash and names none)."""
    found = []
    for part in dependency_text.strip(".").split("..."):
        if "." not in part:
            continue
        component = part.rsplit(".", 1)[0]
        found.append(json.loads(component) if component.startswith("{") else component)
    return found


@pytest.mark.parametrize("kind", sorted(registry()))
def test_no_callback_of_a_kind_writes_another_kinds_ids(kind: str):
    """A kind's callbacks write its own panels' ids, or the shared stores of latent_dash.page
    (selection, focus, computed columns, cross-view requests): never another kind's controls."""
    app = Dash(__name__, suppress_callback_exceptions=True)
    registry()[kind].register_callbacks(app, {})
    assert app.callback_map, f"{kind} registers no callback"
    for outputs in app.callback_map:
        for component in _ids(outputs):
            if isinstance(component, dict):
                assert component["kind"] == kind, f"{kind} writes {component}"
                assert {"view", "model"} <= set(component), component
            else:
                assert component in SHARED_STORES, f"{kind} writes {component!r}"


def test_the_page_and_toolbar_write_only_shared_stores_and_pickers():
    app = Dash(__name__, suppress_callback_exceptions=True)
    columns.register_callbacks(app, {})
    selection_bar.register_callbacks(app, {})
    for outputs in app.callback_map:
        for component in _ids(outputs):
            if isinstance(component, dict):  # ui/columns: every picker's options, by model
                every = ["ALL"]
                assert component == {
                    "kind": every,
                    "part": every,
                    "view": every,
                    "model": every,
                    "picker": component["picker"],
                }
            else:
                assert component in SHARED_STORES | {page.SELECTION_MASK} or component.startswith(
                    ("selection-", "filter-", "export-")
                ), component
