"""configure(): validated at call time, app-setting fallback, safe when never called."""

from __future__ import annotations

from typing import Any

import pytest
from python_worker_extension_framework import (
    ExtensionConfigError,
    Option,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
    WorkerExtension,
)


def positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def make_extension() -> Any:
    class Configurable(WorkerExtension):
        options = (
            Option("enabled_flag", bool, False, env="TEST_EXT_FLAG"),
            Option("threshold_ms", float, None, env="TEST_EXT_THRESHOLD", check=positive),
            Option("label", str, "default-label", env="TEST_EXT_LABEL"),
            Option("count", int, 3),
        )

    return Configurable


def test_unknown_option_names_the_extension_and_option() -> None:
    ext = make_extension()
    with pytest.raises(
        TypeError, match=r"Configurable\.configure\(\) got unknown option\(s\) 'enabeld_flag'"
    ):
        ext.configure(enabeld_flag=True)
    with pytest.raises(UnknownOptionError, match="known options: count, enabled_flag"):
        ext.configure(enabeld_flag=True)


def test_wrong_type_names_option_and_value() -> None:
    ext = make_extension()
    with pytest.raises(OptionTypeError, match=r"option 'enabled_flag' must be bool, got str 'yes'"):
        ext.configure(enabled_flag="yes")
    with pytest.raises(TypeError, match=r"option 'count' must be int, got bool True"):
        ext.configure(count=True)


def test_int_is_accepted_for_a_float_option() -> None:
    ext = make_extension()
    ext.configure(threshold_ms=250)
    assert ext.settings().threshold_ms == 250


def test_check_rejects_bad_values_with_its_reason() -> None:
    ext = make_extension()
    with pytest.raises(
        OptionValueError, match=r"'threshold_ms' has a bad value -1: must be greater than 0"
    ):
        ext.configure(threshold_ms=-1)
    assert isinstance(OptionValueError("x"), (ValueError, ExtensionConfigError))


def test_positional_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match="keyword options only"):
        make_extension().configure(True)


def test_precedence_argument_then_app_setting_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    ext = make_extension()
    monkeypatch.setenv("TEST_EXT_LABEL", "from-setting")
    monkeypatch.setenv("TEST_EXT_FLAG", "yes")
    ext.configure(label="from-argument")
    settings = ext.settings()
    assert settings.label == "from-argument"
    assert settings.enabled_flag is True
    assert settings.count == 3


def test_aliases_are_read_in_order_after_the_app_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    class Renamed(WorkerExtension):
        options = (Option("label", str, "default", env="NEW_LABEL", aliases=("OLD", "OLDER")),)

    monkeypatch.setenv("OLDER", "older")
    assert Renamed.settings()["label"] == "older"
    Renamed.reset()
    monkeypatch.setenv("OLD", "old")
    assert Renamed.settings()["label"] == "old"
    Renamed.reset()
    monkeypatch.setenv("NEW_LABEL", "new")
    assert Renamed.settings()["label"] == "new"
    Renamed.configure(label="argument")
    assert Renamed.settings()["label"] == "argument"


def test_bad_alias_value_names_the_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    class Renamed(WorkerExtension):
        options = (Option("count", int, 1, env="NEW_COUNT", aliases=("OLD_COUNT",)),)

    monkeypatch.setenv("OLD_COUNT", "many")
    with pytest.raises(OptionValueError, match=r"app setting OLD_COUNT='many'.*not an integer"):
        Renamed.configure()


def test_bad_app_setting_is_a_clear_error_at_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_EXT_THRESHOLD", "fast")
    with pytest.raises(
        OptionValueError, match=r"app setting TEST_EXT_THRESHOLD='fast'.*not a number"
    ):
        make_extension().configure()


def test_unconfigured_extension_uses_app_settings_and_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_EXT_THRESHOLD", "12.5")
    ext = make_extension()
    assert not ext.is_configured()
    assert ext.settings().threshold_ms == 12.5
    assert ext.settings().label == "default-label"


def test_unconfigured_extension_with_bad_setting_is_inactive_not_crashing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEST_EXT_FLAG", "maybe")
    ext = make_extension()
    assert ext.applies_to("anything") is False
    assert "Configurable is inactive" in caplog.text and "TEST_EXT_FLAG" in caplog.text


def test_reset_forgets_configuration() -> None:
    ext = make_extension()
    ext.configure(label="x")
    ext.reset()
    assert not ext.is_configured()
    assert ext.settings().label == "default-label"


def test_settings_are_read_only() -> None:
    ext = make_extension()
    settings = ext.settings()
    with pytest.raises(TypeError, match="does not support item assignment"):
        settings["label"] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError, match="no_such_option"):
        _ = settings.no_such_option
