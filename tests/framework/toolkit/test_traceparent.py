"""The W3C ``traceparent`` parser: its one-regex shortcut for the common form gives exactly
what the full field-by-field parser gives, reasons included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_worker_extension_framework import traceparent


class _TraceContext:
    def __init__(self, value: object) -> None:
        self.trace_parent = value


class _Context:
    def __init__(self, value: object) -> None:
        self.trace_context = _TraceContext(value)


@pytest.mark.parametrize(
    "value",
    [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00\n",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "",
        None,
        42,
    ],
)
def test_common_form_shortcut_agrees_with_the_full_parser(value: object) -> None:
    if value:
        assert traceparent.parse(value) == traceparent._parse_fields(value)  # type: ignore[arg-type]
    else:
        assert traceparent.parse(value) == (None, None)  # type: ignore[arg-type]
    context = _Context(value)
    expected, _ = traceparent._parse_fields(value)
    assert traceparent.trace_id_of(context) == (expected.trace_id if expected else None)


HEX = "0123456789abcdefABCDEF"


@given(
    st.builds(
        lambda v, t, p, f, tail: f"{v}-{t}-{p}-{f}{tail}",
        st.sampled_from(["00", "01", "ff", "0", "000"]),
        st.one_of(st.text(HEX, min_size=32, max_size=32), st.just("0" * 32), st.text(HEX)),
        st.one_of(st.text(HEX, min_size=16, max_size=16), st.just("0" * 16)),
        st.one_of(st.text(HEX, min_size=2, max_size=2), st.text(max_size=3)),
        st.sampled_from(["", "-x", " ", "\n"]),
    )
)
def test_shortcut_agrees_on_generated_headers(value: str) -> None:
    assert traceparent.parse(value) == traceparent._parse_fields(value)


@given(
    st.one_of(
        st.builds(
            lambda t, p, f: f"00-{t}-{p}-{f}",
            st.one_of(st.text(HEX, min_size=32, max_size=32), st.just("0" * 32)),
            st.one_of(st.text(HEX, min_size=16, max_size=16), st.just("0" * 16)),
            st.text(HEX, min_size=2, max_size=2),
        ),
        st.text(max_size=60),
        st.none(),
    )
)
def test_trace_id_in_is_the_parsed_trace_id(value: object) -> None:
    parsed, _ = traceparent.parse(value)  # type: ignore[arg-type]
    expected = parsed.trace_id if parsed is not None else None
    assert traceparent.trace_id_in(value) == expected  # type: ignore[arg-type]


@given(
    st.one_of(
        st.builds(
            lambda v, t, p, f: f"{v}-{t}-{p}-{f}",
            st.sampled_from(["00", "01", "ff"]),
            st.one_of(st.text(HEX, min_size=32, max_size=32), st.just("0" * 32)),
            st.one_of(st.text(HEX, min_size=16, max_size=16), st.just("0" * 16)),
            st.text(HEX, min_size=2, max_size=2),
        ),
        st.text(max_size=60),
        st.none(),
        st.integers(),
    )
)
def test_common_fields_are_what_parse_gives_or_none(value: object) -> None:
    """Where ``common_fields`` answers, ``parse`` gives the same header; where it does not,
    the header is not in the common form (``parse`` decides)."""
    fields = traceparent.common_fields(value)
    if fields is None:
        parsed, _ = traceparent.parse(value)  # type: ignore[arg-type]
        assert parsed is None or not traceparent._COMMON(value)  # type: ignore[arg-type]
        return
    parsed, reason = traceparent.parse(value)  # type: ignore[arg-type]
    assert parsed is not None and reason is None
    assert fields == (parsed.trace_id, parsed.parent_id, parsed.sampled)
