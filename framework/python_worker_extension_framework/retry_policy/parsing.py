"""Reading retry policies as Azure reads them: ``function.json`` (v1), ``@app.retry`` (v2).

Also the .NET ``TimeSpan`` parser, which the local host uses for ``functionTimeout`` too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Mapping, Optional

from .model import EXPONENTIAL_BACKOFF, FIXED_DELAY, UNLIMITED, RetryPolicy, RetryPolicyError

# The v2 setting as azure-functions stores it, and the worker's only fixed-delay spelling.
V2_SETTING_NAME = "retry_policy"
_V2_STRATEGIES = {"fixed_delay": FIXED_DELAY, "exponential_backoff": EXPONENTIAL_BACKOFF}
_V1_STRATEGIES = {"fixeddelay": FIXED_DELAY, "exponentialbackoff": EXPONENTIAL_BACKOFF}

# .NET TimeSpan.Parse, invariant culture: "d" (days) or "[d.]hh:mm[:ss[.fffffff]]".
_TIMESPAN = re.compile(
    r"\s*(?:(?P<whole_days>\d+)|(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{1,2})"
    r"(?::(?P<seconds>\d{1,2})(?:\.(?P<fraction>\d{1,7}))?)?)\s*"
)

# What ``time.strptime(value, "%H:%M:%S")`` accepts, in the patterns its ``_strptime`` module
# builds for those directives (hours 0-23, seconds up to 61, one or two digits), matched the
# way it matches them: from the start, with nothing left over. strptime itself would build
# its locale tables on the first call, a millisecond of every start of an app with a retry.
_STRPTIME_H_M_S = re.compile(
    r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)", re.IGNORECASE
)


def parse_timespan(value: Any, *, field_name: str = "interval", function_name: str = "") -> float:
    """Seconds in a .NET ``TimeSpan`` string as ``function.json`` gives it (``"00:00:05"``,
    ``"00:00:00.250"``, ``"1.00:00:00"``; a bare number is *days*, as in .NET)."""
    where = _where(function_name, field_name)
    if not isinstance(value, str):
        raise RetryPolicyError(
            f"{where} must be a TimeSpan string such as '00:00:05', got {value!r}"
        )
    match = _TIMESPAN.fullmatch(value)
    if match is None:
        raise RetryPolicyError(
            f"{where} {value!r} is not a TimeSpan; write hh:mm:ss, e.g. '00:00:05' for five "
            "seconds or '00:00:00.500' for half a second"
        )
    if match["whole_days"] is not None:
        return float(timedelta(days=int(match["whole_days"])).total_seconds())
    hours, minutes = int(match["hours"]), int(match["minutes"])
    seconds = int(match["seconds"] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise RetryPolicyError(
            f"{where} {value!r} is out of range: hours 0-23, minutes and seconds 0-59 "
            "(write days as 'd.hh:mm:ss')"
        )
    fraction = float(f"0.{match['fraction']}") if match["fraction"] else 0.0
    days = int(match["days"] or 0)
    return days * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds + fraction


def parse_v2_interval(
    value: Any, *, field_name: str = "interval", function_name: str = ""
) -> float:
    """Seconds in a v2 ``@app.retry`` interval, read as the Python worker reads it:
    ``time.strptime(value, "%H:%M:%S")``, so whole seconds and hours 0-23 only."""
    where = _where(function_name, field_name)
    if not isinstance(value, str):
        raise RetryPolicyError(f"{where} must be a string 'HH:MM:SS', got {value!r}")
    parsed = _STRPTIME_H_M_S.match(value)
    if parsed is None or parsed.end() != len(value):
        raise RetryPolicyError(
            f"{where} {value!r} is not 'HH:MM:SS'; the Python worker reads v2 retry intervals "
            "with time.strptime(value, '%H:%M:%S'), so use whole seconds, e.g. '00:00:05'"
        )
    return float(int(parsed["H"]) * 3600 + int(parsed["M"]) * 60 + int(parsed["S"]))


def policy_from_function_json(
    function_json: Mapping[str, Any], function_name: str = ""
) -> Optional[RetryPolicy]:
    """The policy in a v1 ``function.json`` (its ``"retry"`` object), or None without one."""
    retry = function_json.get("retry")
    if retry is None:
        return None
    if not isinstance(retry, Mapping):
        raise RetryPolicyError(f"{_where(function_name, 'retry')} must be a JSON object")
    return policy_from_v1_retry(retry, function_name)


def policy_from_v1_retry(retry: Mapping[str, Any], function_name: str = "") -> RetryPolicy:
    """A policy from the ``"retry"`` object of ``function.json`` (names matched case-insensitively,
    as the host's JSON reader does)."""
    fields = {str(key).lower(): value for key, value in retry.items()}
    raw_strategy = fields.get("strategy")
    # The host parses the enum name case-insensitively; the v2 spellings are not names.
    strategy = _V1_STRATEGIES.get(raw_strategy.lower()) if isinstance(raw_strategy, str) else None
    if strategy is None:
        raise RetryPolicyError(
            f"{_where(function_name, 'retry.strategy')} must be 'fixedDelay' or "
            f"'exponentialBackoff', got {raw_strategy!r}"
        )
    max_retry_count = _count(fields.get("maxretrycount"), function_name, "retry.maxRetryCount")
    if strategy == FIXED_DELAY:
        delay = _required(fields, "delayinterval", function_name, "retry.delayInterval", strategy)
        return _build(
            function_name,
            strategy,
            max_retry_count,
            delay_interval=parse_timespan(
                delay, field_name="retry.delayInterval", function_name=function_name
            ),
        )
    low = _required(fields, "minimuminterval", function_name, "retry.minimumInterval", strategy)
    high = _required(fields, "maximuminterval", function_name, "retry.maximumInterval", strategy)
    return _build(
        function_name,
        strategy,
        max_retry_count,
        minimum_interval=parse_timespan(
            low, field_name="retry.minimumInterval", function_name=function_name
        ),
        maximum_interval=parse_timespan(
            high, field_name="retry.maximumInterval", function_name=function_name
        ),
    )


def policy_from_v2_settings(settings: Mapping[str, Any], function_name: str = "") -> RetryPolicy:
    """A policy from the v2 ``retry_policy`` settings dict (``get_settings_dict``)."""
    raw_strategy = settings.get("strategy")
    strategy = _V2_STRATEGIES.get(raw_strategy) if isinstance(raw_strategy, str) else None
    if strategy is None:
        raise RetryPolicyError(
            f"{_where(function_name, '@app.retry(strategy=...)')} must be 'fixed_delay' or "
            f"'exponential_backoff', got {raw_strategy!r} (the v1 spellings 'fixedDelay' and "
            "'exponentialBackoff' belong in function.json only)"
        )
    max_retry_count = _count(
        settings.get("max_retry_count"), function_name, "@app.retry(max_retry_count=...)"
    )

    def interval(key: str) -> float:
        label = f"@app.retry({key}=...)"
        value = settings.get(key)
        if value is None:
            raise RetryPolicyError(
                f"{_where(function_name, label)} is required for strategy={raw_strategy!r}"
            )
        return parse_v2_interval(value, field_name=label, function_name=function_name)

    if strategy == FIXED_DELAY:
        return _build(
            function_name,
            strategy,
            max_retry_count,
            label="@app.retry",
            delay_interval=interval("delay_interval"),
        )
    return _build(
        function_name,
        strategy,
        max_retry_count,
        label="@app.retry",
        minimum_interval=interval("minimum_interval"),
        maximum_interval=interval("maximum_interval"),
    )


def policy_for_function(function: Any) -> Optional[RetryPolicy]:
    """The policy of a v2 ``azure.functions`` ``Function`` (from ``app.get_functions()``),
    read from its ``retry_policy`` setting as the worker reads it; None without one."""
    name = _v2_name(function)
    get_settings_dict = getattr(function, "get_settings_dict", None)
    settings: Optional[Mapping[str, Any]] = None
    if callable(get_settings_dict):
        settings = get_settings_dict(V2_SETTING_NAME)
    if settings is None:
        setting = getattr(function, "get_setting", lambda _name: None)(V2_SETTING_NAME)
        if setting is None:
            return None
        settings = {
            key: getattr(setting, key, None)
            for key in (
                "strategy",
                "max_retry_count",
                "delay_interval",
                "minimum_interval",
                "maximum_interval",
            )
        }
    return policy_from_v2_settings(settings, name)


def _v2_name(function: Any) -> str:
    getter = getattr(function, "get_function_name", None)
    try:
        return str(getter()) if callable(getter) else str(getattr(function, "__name__", ""))
    except Exception:
        return ""


def _where(function_name: str, field_name: str) -> str:
    return f"{function_name}: {field_name}" if function_name else field_name


def _required(
    fields: Mapping[str, Any], key: str, function_name: str, label: str, strategy: str
) -> Any:
    if fields.get(key) is None:
        raise RetryPolicyError(f"{_where(function_name, label)} is required for {strategy}")
    return fields[key]


def _count(value: Any, function_name: str, label: str) -> int:
    where = _where(function_name, label)
    if value is None:
        raise RetryPolicyError(f"{where} is required (-1 retries forever)")
    if isinstance(value, (bool, float)):
        raise RetryPolicyError(f"{where} must be a whole number, got {value!r}")
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise RetryPolicyError(f"{where} must be a whole number, got {value!r}") from None
    if count < UNLIMITED:
        raise RetryPolicyError(f"{where} must be -1 (retry forever) or 0 or more, got {count}")
    return count


def _build(
    function_name: str,
    strategy: str,
    max_retry_count: int,
    *,
    label: str = "retry",
    **intervals: float,
) -> RetryPolicy:
    try:
        return RetryPolicy(strategy, max_retry_count, **intervals)
    except RetryPolicyError as exc:
        raise RetryPolicyError(f"{_where(function_name, label)}: {exc}") from None
