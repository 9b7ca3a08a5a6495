"""Which tracer provider spans go to, installed at most once per process.

OpenTelemetry lets a process set its global tracer provider once. Two cases:

- Someone else set it first (the worker's own mode, ``PYTHON_ENABLE_OPENTELEMETRY=1``,
  runs the Azure Monitor distro before the app loads, or the app configured the SDK
  itself): we reuse it and never install a second one. When an exporter is chosen too,
  our span processor is added to that provider, once, through a ``SwitchingProcessor``.
- Nobody did: we install a ``SwitchingTracerProvider`` once. It hands every tracer call to
  the current configuration's tracers (light ones, ``light_tracer``, on its own SDK
  ``TracerProvider``), so ``configure()`` may run again (a v1 app configuring in every
  function, tests) and tracers a user obtained at import keep working and follow the new
  configuration.

The global meter provider follows the same rule: the worker's (or the app's) is reused;
otherwise, once a configuration has a metrics backend, a ``SwitchingMeterProvider`` is
installed once and hands the user's instruments to that configuration's SDK
``MeterProvider``, so they are exported with the invocation metrics, through the same
backend.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.sdk.trace import (
    ReadableSpan,
    Span,
    SpanProcessor,
    SynchronousMultiSpanProcessor,
)
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.trace import NoOpTracer, Tracer, TracerProvider

from .light_tracer import CurrentSpan

_install_lock = threading.RLock()  # re-entered: setting a global rebinds proxies through us
_NOOP_TRACER = NoOpTracer()


# What a configuration hands user code: its SDK provider and, when it starts light spans
# (``light_tracer``), what makes a light tracer from the arguments of ``get_tracer``.
_Target = Tuple[Optional[SdkTracerProvider], Optional[Callable[..., Tracer]]]
_NOTHING: _Target = (None, None)
# Tracers kept per scope (name, version, schema, attributes) by ``get_tracer``: the scopes
# are the app's and its libraries' (a few); past this many, new ones are not kept.
_MAX_KEPT_TRACERS = 1024


class _SwitchingTracer(Tracer):
    """A tracer whose calls go to the current configuration's tracer: a light one when it
    makes them, else its SDK provider's.

    One kept by its provider (``kept``) has the current tracer's ``start_span`` bound on
    the instance, so a span costs no extra call; its provider unbinds it when the
    configuration changes. ``start_as_current_span`` on a light tracer gives a
    ``CurrentSpan`` that starts its span through this tracer as it is entered: used as a
    decorator, each call follows the configuration of its time."""

    def __init__(
        self, owner: SwitchingTracerProvider, args: Sequence[Any], kwargs: Any, kept: bool
    ) -> None:
        self._owner = owner
        self._args = args
        self._kwargs = kwargs
        self._kept = kept
        self._for: Any = None
        self._tracer: Tracer = _NOOP_TRACER

    def _current(self) -> Tracer:
        target = self._owner.target
        if target is self._for:
            return self._tracer
        provider, light = target
        if provider is None:
            tracer: Tracer = _NOOP_TRACER
        elif light is not None:
            tracer = light(*self._args, **self._kwargs)
        else:
            tracer = provider.get_tracer(*self._args, **self._kwargs)
        with _install_lock:  # bound only while the configuration it follows is current
            if self._owner.target is target:
                self._tracer, self._for = tracer, target
                if self._kept:
                    self.start_span = tracer.start_span  # type: ignore[method-assign]
        return tracer

    def unbind(self) -> None:
        """Follow a new configuration (called with the install lock held)."""
        self.__dict__.pop("start_span", None)

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(
        self,
        name: str,
        context: Optional[otel_context.Context] = None,
        kind: trace.SpanKind = trace.SpanKind.INTERNAL,
        attributes: Any = None,
        links: Any = (),
        start_time: Optional[int] = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Any:
        tracer = self._current()
        # By its marker, not its class: the module may have been imported afresh since.
        if getattr(tracer, "_python_worker_extension_light", False):
            return CurrentSpan(
                self,
                (name, context, kind, attributes, links, start_time),
                record_exception,
                set_status_on_exception,
                end_on_exit,
            )
        return tracer.start_as_current_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
            end_on_exit,
        )


class SwitchingTracerProvider(TracerProvider):
    """The global provider we install once; ``current`` is the SDK provider in use.

    Recognised by its marker, not its class: a module imported afresh (a test harness that
    reloads the app and its extensions) must still find the one already installed. One
    tracer per scope, however often it is asked for (a function that calls
    ``trace.get_tracer(__name__)`` in every invocation gets the same one).
    """

    _python_worker_extension_switching = True

    def __init__(self) -> None:
        self.target: _Target = _NOTHING
        self._tracers: Dict[Any, _SwitchingTracer] = {}

    @property
    def current(self) -> Optional[SdkTracerProvider]:
        """The SDK provider of the configuration in use (a processor added to it sees
        every span its tracers start, light or not), or None."""
        return self.target[0]

    @current.setter
    def current(self, provider: Optional[SdkTracerProvider]) -> None:
        self.use(provider)

    def use(
        self,
        provider: Optional[SdkTracerProvider],
        light: Optional[Callable[..., Tracer]] = None,
    ) -> None:
        """Hand tracer calls to ``provider``'s tracers, or to the light tracers ``light``
        makes (called as ``get_tracer`` is) for it; tracers handed out earlier follow."""
        with _install_lock:
            self.target = _NOTHING if provider is None else (provider, light)
            for tracer in self._tracers.values():
                tracer.unbind()

    @property
    def resource(self) -> Any:
        """The current configuration's resource (exporters such as Azure Monitor's read the
        global provider's), or an empty one."""
        current = self.current
        if current is not None:
            return current.resource
        from opentelemetry.sdk.resources import Resource

        return Resource.get_empty()

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: Optional[str] = None,
        schema_url: Optional[str] = None,
        *args: Any,
        **kwargs: Any,
    ) -> Tracer:
        args = (instrumenting_module_name, instrumenting_library_version, schema_url, *args)
        key: Any = (args, tuple(sorted(kwargs.items())) if kwargs else ())
        try:
            tracer = self._tracers.get(key)
        except TypeError:  # attributes in a dict: named by their text
            key = repr(key)
            tracer = self._tracers.get(key)
        if tracer is None:
            with _install_lock:
                tracer = self._tracers.get(key)
                if tracer is None:
                    kept = len(self._tracers) < _MAX_KEPT_TRACERS
                    tracer = _SwitchingTracer(self, args, kwargs, kept)
                    if kept:
                        self._tracers[key] = tracer
        return tracer


class ActiveProcessor(SynchronousMultiSpanProcessor):
    """The active span processor of our own SDK provider: every processor added to the
    provider (ours first, a user's after it), called in the order added, as the SDK's
    ``SynchronousMultiSpanProcessor`` calls them. While it holds one processor (ours,
    until a user adds one), that processor's own ``on_start`` and ``on_end`` are bound on
    the instance: starting and ending a span then skips the loop."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._added: Tuple[SpanProcessor, ...] = ()

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        with _install_lock:
            super().add_span_processor(span_processor)
            added = self._added = (*self._added, span_processor)
            if len(added) == 1:
                self.on_start = span_processor.on_start  # type: ignore[method-assign]
                self.on_end = span_processor.on_end  # type: ignore[method-assign]
            else:  # the loop over all of them, the class's
                self.__dict__.pop("on_start", None)
                self.__dict__.pop("on_end", None)


class SwitchingProcessor(SpanProcessor):
    """Added once to a provider we do not own; ``current`` is our processor, or None."""

    def __init__(self) -> None:
        self.current: Optional[SpanProcessor] = None

    def on_start(self, span: Span, parent_context: Optional[otel_context.Context] = None) -> None:
        current = self.current
        if current is not None:
            current.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        current = self.current
        if current is not None:
            current.on_end(span)

    def shutdown(self) -> None:
        pass  # ours are shut down by the extension, not by the provider's owner

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        current = self.current
        return True if current is None else current.force_flush(timeout_millis)


def _global() -> TracerProvider:
    return trace.get_tracer_provider()


def _is_ours(provider: object) -> bool:
    return bool(getattr(provider, "_python_worker_extension_switching", False))


def foreign_provider() -> Optional[TracerProvider]:
    """The global tracer provider when someone other than us set it, else None."""
    provider = _global()
    if isinstance(provider, trace.ProxyTracerProvider) or _is_ours(provider):
        return None
    if type(provider).__name__ == "NoOpTracerProvider":
        return None
    return provider


def switching_provider() -> Optional[SwitchingTracerProvider]:
    """Our global provider, installing it when no provider is set yet; None when another
    provider is global (then ``foreign_provider()`` is the one to use)."""
    with _install_lock:
        provider = _global()
        if _is_ours(provider):
            return provider  # type: ignore[return-value]
        if foreign_provider() is not None:
            return None
        ours = SwitchingTracerProvider()
        trace.set_tracer_provider(ours)
        installed = _global()
        return installed if _is_ours(installed) else None  # type: ignore[return-value]


def processor_slot(provider: TracerProvider) -> Optional[SwitchingProcessor]:
    """Our processor slot on a provider we do not own, added once; None when the provider
    cannot take processors (not the SDK's)."""
    with _install_lock:
        slot = getattr(provider, "_python_worker_extension_slot", None)
        if isinstance(slot, SwitchingProcessor):
            return slot
        add = getattr(provider, "add_span_processor", None)
        if add is None:
            return None
        slot = SwitchingProcessor()
        add(slot)
        provider._python_worker_extension_slot = slot  # type: ignore[attr-defined]
        return slot


# -- metrics ----------------------------------------------------------------------------------

_NOT_SET_METER_PROVIDERS = ("_ProxyMeterProvider", "NoOpMeterProvider")


_RECORDING_METHOD = {"counter": "add", "up_down_counter": "add", "histogram": "record"}


def _ignore(*args: Any, **kwargs: Any) -> None:
    """What an instrument records into while no configuration takes metrics."""


class _SwitchingInstrument:
    """A synchronous instrument whose calls go to its twin on the current SDK meter.

    Its first call binds the twin's recording method onto the instance, so the calls that
    follow cost what the SDK's cost; a new configuration unbinds it (``unbind``).
    """

    def __init__(self, meter: _SwitchingMeter, kind: str, args: Sequence[Any], kwargs: Any):
        self._meter = meter
        self._kind = kind
        self._method = _RECORDING_METHOD.get(kind, "set")  # gauges set
        self._args = args
        self._kwargs = kwargs

    def _bind(self) -> Any:
        with _install_lock:
            real = self._meter.real
            if real is None:
                bound: Any = _ignore
            else:
                twin = getattr(real, "create_" + self._kind)(*self._args, **self._kwargs)
                bound = getattr(twin, self._method)
            setattr(self, self._method, bound)  # the instance's, ahead of the class's
        return bound

    def unbind(self) -> None:
        self.__dict__.pop(self._method, None)

    def add(self, amount: Any, *args: Any, **kwargs: Any) -> None:
        self._bind()(amount, *args, **kwargs)

    def record(self, amount: Any, *args: Any, **kwargs: Any) -> None:
        self._bind()(amount, *args, **kwargs)

    def set(self, amount: Any, *args: Any, **kwargs: Any) -> None:
        self._bind()(amount, *args, **kwargs)


class _SwitchingMeter(metrics.Meter):
    """A meter of our global provider: synchronous instruments follow the current
    configuration when used; observable ones are registered again on each new one."""

    def __init__(self, owner: SwitchingMeterProvider, args: Sequence[Any], kwargs: Any) -> None:
        super().__init__(args[0], args[1], args[2])
        self._owner = owner
        self._args = args
        self._kwargs = kwargs
        self._for: Any = None
        self._real: Any = None
        self._observables: List[Tuple[str, Sequence[Any], Any]] = []
        self._instruments: Dict[str, _SwitchingInstrument] = {}

    @property
    def real(self) -> Any:
        """The current configuration's SDK meter, or None."""
        provider = self._owner.current
        if provider is not self._for:
            self._real = (
                None if provider is None else provider.get_meter(*self._args, **self._kwargs)
            )
            self._for = provider
        return self._real

    def _register(self, kind: str, args: Sequence[Any], kwargs: Any) -> Any:
        real = self.real
        if real is None:
            return getattr(metrics.NoOpMeter(self.name), "create_" + kind)(*args, **kwargs)
        return getattr(real, "create_" + kind)(*args, **kwargs)

    def _observable(self, kind: str, args: Sequence[Any], kwargs: Any) -> Any:
        with _install_lock:  # so a new configuration registers it exactly once
            self._observables.append((kind, args, kwargs))
            return self._register(kind, args, kwargs)

    def switched(self) -> None:
        """Follow the configuration now current (called with the install lock held): the
        synchronous instruments rebind on their next call, the observable ones are
        registered with it."""
        for instrument in self._instruments.values():
            instrument.unbind()
        if self.real is not None:
            for kind, args, kwargs in self._observables:
                self._register(kind, args, kwargs)

    def _synchronous(self, kind: str, args: Sequence[Any], kwargs: Any) -> Any:
        """One instrument per kind and arguments, however often it is asked for."""
        key = repr((kind, args, sorted(kwargs.items(), key=str)))
        with _install_lock:
            instrument = self._instruments.get(key)
            if instrument is None:
                instrument = self._instruments[key] = _SwitchingInstrument(self, kind, args, kwargs)
        return instrument

    def create_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._synchronous("counter", args, kwargs)

    def create_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._synchronous("up_down_counter", args, kwargs)

    def create_histogram(self, *args: Any, **kwargs: Any) -> Any:
        return self._synchronous("histogram", args, kwargs)

    def create_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._synchronous("gauge", args, kwargs)

    def create_observable_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("observable_counter", args, kwargs)

    def create_observable_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("observable_up_down_counter", args, kwargs)

    def create_observable_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("observable_gauge", args, kwargs)


class SwitchingMeterProvider(metrics.MeterProvider):
    """The global meter provider we install once; ``current`` is the SDK provider in use.

    One meter per name, version and schema: a user calling ``get_meter`` in every
    invocation adds nothing.
    """

    _python_worker_extension_switching = True

    def __init__(self) -> None:
        self._current: Any = None
        self._meters: Dict[str, _SwitchingMeter] = {}

    @property
    def current(self) -> Any:
        return self._current

    @current.setter
    def current(self, provider: Any) -> None:
        with _install_lock:
            if provider is self._current:
                return
            self._current = provider
            for meter in self._meters.values():
                meter.switched()

    def get_meter(
        self,
        name: str,
        version: Optional[str] = None,
        schema_url: Optional[str] = None,
        *args: Any,
        **kwargs: Any,
    ) -> metrics.Meter:
        key = repr((name, version, schema_url, args, sorted(kwargs.items(), key=str)))
        with _install_lock:
            meter = self._meters.get(key)
            if meter is None:
                meter = self._meters[key] = _SwitchingMeter(
                    self, (name, version, schema_url, *args), kwargs
                )
        return meter


def foreign_meter_provider() -> Optional[metrics.MeterProvider]:
    """The global meter provider when someone other than us set it, else None."""
    provider = metrics.get_meter_provider()
    if _is_ours(provider) or type(provider).__name__ in _NOT_SET_METER_PROVIDERS:
        return None
    return provider


def switching_meter_provider() -> Optional[SwitchingMeterProvider]:
    """Our global meter provider, installing it when none is set yet; None when another
    one is global (``foreign_meter_provider()``)."""
    with _install_lock:
        provider = metrics.get_meter_provider()
        if _is_ours(provider):
            return provider  # type: ignore[return-value]
        if type(provider).__name__ not in _NOT_SET_METER_PROVIDERS:
            return None
        metrics.set_meter_provider(SwitchingMeterProvider())
        installed = metrics.get_meter_provider()
        return installed if _is_ours(installed) else None  # type: ignore[return-value]
