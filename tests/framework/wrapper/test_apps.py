"""v2 apps: every function of an ``ExtensionsFunctionApp`` or ``wrap_app`` app, blueprints
included, is wrapped whatever the decorator order."""

from __future__ import annotations

import inspect
from typing import Any, Dict

import azure.functions as func
import pytest
from azure.functions.decorators.core import BindingDirection
from python_worker_extension_framework.testing import make_http_request
from python_worker_extension_framework.wrapper import (
    ExtensionsFunctionApp,
    is_wrapped,
    with_extensions,
    wrap_app,
)

from ..recorders import (
    Journal,
    counts,
)
from ..worker_like import (
    PY313,
    OutValue,
    index_like_worker,
)

# -- v2: FunctionApp, blueprints, decorator order ---------------------------------------------


def build_app(app: Any, journal: Journal) -> Any:
    """An app with functions in several decorator orders and a blueprint."""

    @app.function_name("first")
    @app.route(route="first")
    def first(req: func.HttpRequest) -> str:
        journal.append(("function", "first"))
        return "first"

    @app.route(route="second")
    @app.function_name("second")
    def second(req: func.HttpRequest, context: func.Context) -> str:
        journal.append(("function", context.function_name))
        return "second"

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    async def ticker(timer: func.TimerRequest) -> None:
        journal.append(("function", "ticker"))

    @app.route(route="queue")
    @app.queue_output(arg_name="msg", queue_name="orders", connection="Storage")
    def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> str:
        msg.set("order")
        return "queued"

    blueprint = func.Blueprint()

    @blueprint.route(route="from-blueprint")
    def from_blueprint(req: func.HttpRequest) -> str:
        return "blueprint"

    @blueprint.function_name("bp_queue")
    @blueprint.queue_trigger(arg_name="item", queue_name="in", connection="Storage")
    def on_item(item: func.QueueMessage) -> None:
        raise RuntimeError("poison")

    app.register_functions(blueprint)
    return app


def binding_directions(function: Any) -> Dict[str, str]:
    return {
        binding.name: "out"
        if binding.direction in (BindingDirection.OUT, BindingDirection.OUT.value)
        else "in"
        for binding in function.get_bindings()
    }


def run_indexed(function: Any, journal: Journal) -> Any:
    """Call a v2 function the way the 3.13 worker does, from what indexing gave it."""
    user_function = function.get_user_function()
    bindings = binding_directions(function)
    indexed = index_like_worker(user_function, bindings)
    values: Dict[str, Any] = {name: make_http_request() for name in indexed.inputs}
    values.update({name: OutValue() for name in indexed.outputs})
    return PY313.invoke(user_function, function_name=function.get_function_name(), **values)


@pytest.mark.parametrize("make_app", ["subclass", "wrap_app"])
def test_every_function_of_a_v2_app_and_its_blueprints_is_wrapped(
    make_app: str, journal: Journal
) -> None:
    if make_app == "subclass":
        app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    else:
        app = wrap_app(func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS))
    build_app(app, journal)
    functions = {function.get_function_name(): function for function in app.get_functions()}

    assert sorted(functions) == [
        "bp_queue",
        "enqueue",
        "first",
        "from_blueprint",
        "second",
        "ticker",
    ]
    assert all(is_wrapped(function) for function in functions.values())
    results = {}
    for name, function in functions.items():
        try:
            results[name] = run_indexed(function, journal)
        except RuntimeError as exc:
            results[name] = exc
    assert results["first"] == "first" and results["second"] == "second"
    assert results["enqueue"] == "queued" and results["ticker"] is None
    assert isinstance(results["bp_queue"], RuntimeError)
    for name in functions:
        assert ("pre_app", "Alpha", name) in journal
        assert ("load_app", "Alpha", name) in journal
    assert ("function", "second") in journal
    errors = [entry for entry in journal if entry[0] == "error_app"]
    assert [str(entry[2]) for entry in errors] == ["poison", "poison"]
    assert inspect.getfile(functions["first"].get_user_function()) == __file__


def test_v2_wrapping_happens_whatever_the_decorator_order(journal: Journal) -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @with_extensions
    @app.route(route="outermost")
    def outermost(req: func.HttpRequest) -> str:
        return "a"

    @app.route(route="middle")
    @with_extensions
    @app.function_name("middle")
    def middle(req: func.HttpRequest) -> str:
        return "b"

    @app.function_name("innermost")
    @app.route(route="innermost")
    @with_extensions
    def innermost(req: func.HttpRequest) -> str:
        return "c"

    functions = app.get_functions()
    assert [f.get_function_name() for f in functions] == ["outermost", "middle", "innermost"]
    assert all(is_wrapped(f) for f in functions)
    assert [run_indexed(f, journal) for f in functions] == ["a", "b", "c"]
    assert counts(journal)["pre_app:Alpha"] == 3


def test_v2_function_with_a_context_binding_is_left_unwrapped() -> None:
    app = ExtensionsFunctionApp()

    @app.generic_trigger(arg_name="context", type="orchestrationTrigger")
    def orchestrator(context: str) -> str:
        return context

    @app.route(route="plain")
    def plain(req: func.HttpRequest) -> str:
        return "plain"

    wrapped = {f.get_function_name(): is_wrapped(f) for f in app.get_functions()}
    assert wrapped == {"orchestrator": False, "plain": True}


def test_wrap_app_takes_any_function_register_and_refuses_a_blueprint() -> None:
    wsgi = wrap_app(func.WsgiFunctionApp(lambda environ, start: [], func.AuthLevel.ANONYMOUS))
    assert wrap_app(wsgi) is wsgi
    (function,) = wsgi.get_functions()
    assert is_wrapped(function)
    assert index_like_worker(function.get_user_function(), binding_directions(function))
    with pytest.raises(TypeError, match=r"wrap_app: expected the function app .* got Blueprint"):
        wrap_app(func.Blueprint())
