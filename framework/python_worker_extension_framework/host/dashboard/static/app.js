// The funcext dashboard: one server-sent event stream keeps the list live; a click fetches
// one invocation's detail. Plain DOM, no dependency; every value is set as text, never HTML.
"use strict";

(() => {
  const state = {
    capacity: 500,
    rows: [], // invocation summaries, newest first
    functions: new Map(), // name -> figures
    selected: null,
    renderQueued: false,
  };

  const $ = (selector) => document.querySelector(selector);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "style") Object.assign(node.style, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const pad = (n, width = 2) => String(n).padStart(width, "0");
  function clock(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 10) return `${ms.toFixed(0)} ms`;
    return `${ms.toFixed(2)} ms`;
  }
  const isFailed = (row) => Boolean(row.failed);

  // -- the stream ------------------------------------------------------------------------

  function connect() {
    const source = new EventSource("api/stream");
    const connection = $("#connection");
    source.addEventListener("open", () => {
      connection.dataset.state = "live";
      connection.textContent = "live";
    });
    source.addEventListener("error", () => {
      connection.dataset.state = "reconnecting";
      connection.textContent = "reconnecting…";
    });
    source.addEventListener("snapshot", (event) => {
      const data = JSON.parse(event.data);
      state.capacity = data.capacity;
      state.rows = data.invocations;
      state.functions = new Map(data.functions.map((f) => [f.function, f]));
      scheduleRender();
    });
    source.addEventListener("batch", (event) => {
      const data = JSON.parse(event.data);
      for (const row of data.invocations) state.rows.unshift(row);
      if (state.rows.length > state.capacity) state.rows.length = state.capacity;
      for (const figures of data.functions) state.functions.set(figures.function, figures);
      scheduleRender();
    });
  }

  function scheduleRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    requestAnimationFrame(() => {
      state.renderQueued = false;
      renderFunctions();
      renderList();
    });
  }

  // -- per-function figures ----------------------------------------------------------------

  function sparkline(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 120 28");
    svg.setAttribute("class", "spark");
    svg.setAttribute("aria-label", "recent durations");
    if (values.length > 1) {
      const max = Math.max(...values) || 1;
      const step = 120 / (values.length - 1);
      const points = values.map((v, i) => `${(i * step).toFixed(1)},${(27 - (v / max) * 25).toFixed(1)}`);
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points.join(" "));
      svg.append(line);
    }
    return svg;
  }

  function renderFunctions() {
    const box = $("#functions");
    const select = $("#filter-function");
    const names = [...state.functions.keys()].sort((a, b) => a.localeCompare(b));
    box.replaceChildren(
      ...names.map((name) => {
        const f = state.functions.get(name);
        return el(
          "div",
          { class: `card${f.errors ? " has-errors" : ""}`, "data-function": name },
          el("div", { class: "card-name", text: name }),
          el(
            "div",
            { class: "card-figures" },
            el("span", { class: "count", title: "invocations", text: `${f.count} calls` }),
            el("span", { class: "errors", title: "failed invocations", text: `${f.errors} errors` }),
            el("span", { title: `p50 of the last ${f.window}`, text: `p50 ${duration(f.p50)}` }),
            el("span", { title: `p95 of the last ${f.window}`, text: `p95 ${duration(f.p95)}` }),
          ),
          sparkline(f.recent),
        );
      }),
    );
    const known = new Set([...select.options].map((o) => o.value));
    for (const name of names) if (!known.has(name)) select.append(el("option", { value: name, text: name }));
  }

  // -- the list ---------------------------------------------------------------------------

  function visibleRows() {
    const fn = $("#filter-function").value;
    const outcome = $("#filter-outcome").value;
    return state.rows.filter(
      (row) =>
        (!fn || row.function === fn) &&
        (!outcome || (outcome === "failed" ? isFailed(row) : !isFailed(row))),
    );
  }

  function renderList() {
    const rows = visibleRows();
    const body = $("#invocations tbody");
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const request = row.method ? `${row.method} ${row.route}` : "–";
      const status = row.status !== null && row.status !== undefined ? String(row.status) : row.outcome;
      const attempt = row.max_attempts && row.max_attempts > 1 ? `${row.attempt} of ${row.max_attempts}` : row.attempt > 1 ? String(row.attempt) : "";
      fragment.append(
        el(
          "tr",
          {
            class: `${isFailed(row) ? "failed" : "ok"}${row.id === state.selected ? " selected" : ""}`,
            "data-id": row.id,
            "data-function": row.function,
            onclick: () => openDetail(row.id),
          },
          el("td", { class: "time", text: clock(row.time) }),
          el("td", { class: "function", text: row.function }),
          el("td", { class: "trigger", text: row.trigger }),
          el("td", { class: "request", text: request, title: request }),
          el("td", { class: "status" }, el("span", { class: `badge ${isFailed(row) ? "bad" : "good"}`, text: status })),
          el("td", { class: "num", text: duration(row.ms) }),
          el("td", { class: "attempt", text: attempt }),
        ),
      );
    }
    body.replaceChildren(fragment);
    $("#empty").hidden = state.rows.length > 0;
    $("#shown").textContent = `${rows.length} shown · ${state.rows.length} kept (last ${state.capacity})`;
  }

  // -- one invocation ---------------------------------------------------------------------

  async function openDetail(id) {
    state.selected = id;
    scheduleRender();
    const panel = $("#detail");
    panel.hidden = false;
    panel.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    const response = await fetch(`api/invocations/${encodeURIComponent(id)}`);
    if (state.selected !== id) return;
    if (!response.ok) {
      panel.replaceChildren(el("p", { class: "muted", text: "This invocation has left the ring." }));
      return;
    }
    renderDetail(await response.json());
  }

  function section(title, ...content) {
    return el("section", { class: "part" }, el("h3", { text: title }), ...content);
  }

  function headerTable(headers) {
    if (!headers || !headers.length) return el("p", { class: "muted", text: "no headers" });
    return el(
      "table",
      { class: "kv" },
      el("tbody", {}, headers.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v })))),
    );
  }

  function httpPart(d) {
    if (!d.request) return null;
    const req = d.request;
    const res = d.response || {};
    return section(
      "Request and response",
      el(
        "div",
        { class: "http" },
        el(
          "div",
          { class: "request-box" },
          el("div", { class: "line", text: `${req.method} ${req.url}` }),
          headerTable(req.headers),
          req.body ? el("pre", { class: "body", text: req.body }) : null,
          el("div", { class: "muted", text: `${req.body_size} byte body` }),
        ),
        el(
          "div",
          { class: "response-box" },
          el("div", { class: "line", text: `${res.status ?? "no answer"}` }),
          headerTable(res.headers),
          res.body ? el("pre", { class: "body", text: res.body }) : null,
          el("div", { class: "muted", text: `${res.body_size ?? 0} byte body` }),
        ),
      ),
    );
  }

  const HOOK_NAMES = {
    pre_invocation_app_level: "pre (app)",
    pre_invocation: "pre",
    post_invocation: "post",
    post_invocation_app_level: "post (app)",
    on_invocation_error: "error",
    on_invocation_error_app_level: "error (app)",
  };

  function bar(hook, ms, total, kind, error) {
    const width = total > 0 ? Math.max((ms / total) * 100, 0.6) : 0;
    const label = hook ? `${hook.extension} · ${HOOK_NAMES[hook.hook] || hook.hook}` : "function";
    return el(
      "div",
      {
        class: `hook-row ${kind}${error ? " hook-failed" : ""}`,
        "data-hook": hook ? hook.hook : "function",
        "data-extension": hook ? hook.extension : "",
      },
      el("span", { class: "hook-label", text: label, title: hook ? `${hook.extension}.${hook.hook}` : "the function itself" }),
      el("span", { class: "bar-track" }, el("span", { class: "bar", style: { width: `${width}%` } })),
      el("span", { class: "num", text: duration(ms) }),
      error ? el("div", { class: "hook-error", text: error }) : null,
    );
  }

  function hooksPart(d) {
    const before = d.hooks.filter((h) => h.phase === "before");
    const later = d.hooks.filter((h) => h.phase !== "before");
    const total = Math.max(d.ms, ...d.hooks.map((h) => h.ms), d.function_ms);
    const rows = [
      ...before.map((h) => bar(h, h.ms, total, "hook", h.error)),
      bar(null, d.function_ms, total, "fn", null),
      ...later.map((h) => bar(h, h.ms, total, h.phase === "error" ? "hook error-phase" : "hook", h.error)),
    ];
    const note = d.error
      ? el("p", {
          class: "muted",
          text: d.error_phase_ran
            ? "The error phase ran (the extensions' error hooks, in red)."
            : "No error hooks ran: like the Azure worker, no post hook runs when a function raises (start with --error-phase or wrap the app to run them).",
        })
      : null;
    return section("Hook chain", el("div", { class: "hooks" }, rows), note);
  }

  function errorPart(d) {
    if (!d.error) return null;
    return section(
      "Error",
      el(
        "div",
        { class: "error-box" },
        el("div", { class: "error-title", text: `${d.error.type}: ${d.error.message}` }),
        el("pre", { text: d.error.traceback }),
      ),
    );
  }

  function spansPart(d) {
    if (!d.spans.length) return section("Spans", el("p", { class: "muted", text: "No span recorded (no tracing extension, or not sampled)." }));
    const end = Math.max(...d.spans.map((s) => s.offset_ms + s.ms), d.span_origin_ms + d.ms, 0.001);
    const depth = new Map();
    const byId = new Map(d.spans.map((s) => [s.span_id, s]));
    const depthOf = (s) => {
      if (depth.has(s.span_id)) return depth.get(s.span_id);
      const parent = s.parent && byId.get(s.parent);
      const value = parent && parent !== s ? depthOf(parent) + 1 : 0;
      depth.set(s.span_id, value);
      return value;
    };
    const rows = d.spans.map((s) => {
      const attributes = Object.entries(s.attributes);
      return el(
        "details",
        { class: `span-row${s.failed ? " span-failed" : ""}` },
        el(
          "summary",
          {},
          el("span", { class: "span-name", style: { paddingLeft: `${depthOf(s) * 14}px` }, text: s.name }),
          el(
            "span",
            { class: "bar-track" },
            el("span", {
              class: "bar",
              style: { left: `${(s.offset_ms / end) * 100}%`, width: `${Math.max((s.ms / end) * 100, 0.6)}%` },
            }),
          ),
          el("span", { class: "num", text: duration(s.ms) }),
        ),
        el(
          "table",
          { class: "kv" },
          el(
            "tbody",
            {},
            el("tr", {}, el("th", { text: "kind" }), el("td", { text: `${s.kind} (${s.source})` })),
            s.status ? el("tr", {}, el("th", { text: "status" }), el("td", { text: s.status })) : null,
            attributes.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: typeof v === "string" ? v : JSON.stringify(v) }))),
            s.events.map((e) => el("tr", {}, el("th", { text: `event +${duration(e.offset_ms)}` }), el("td", { text: e.name }))),
          ),
        ),
      );
    });
    return section("Spans", el("div", { class: "waterfall" }, rows), d.spans_dropped ? el("p", { class: "muted", text: `${d.spans_dropped} more not kept` }) : null);
  }

  function logsPart(d) {
    if (!d.logs.length) return section("Log", el("p", { class: "muted", text: "Nothing was logged." }));
    return section(
      "Log",
      el(
        "div",
        { class: "logs" },
        d.logs.map((line) =>
          el(
            "div",
            { class: `log-line ${line.category} level-${line.level.toLowerCase()}` },
            el("span", { class: "time", text: clock(line.time) }),
            el("span", { class: `category ${line.category}`, text: line.category === "system" ? "System" : line.category === "host" ? "Host" : "User" }),
            el("span", { class: "level", text: line.level }),
            el("span", { class: "logger", text: line.logger }),
            el("pre", { class: "message", text: line.message }),
          ),
        ),
      ),
      d.logs_dropped ? el("p", { class: "muted", text: `${d.logs_dropped} more lines not kept` }) : null,
    );
  }

  function attemptsPart(d) {
    if (!d.attempts) return null;
    return section(
      "Attempts",
      el(
        "table",
        { class: "attempts" },
        el("thead", {}, el("tr", {}, ["Attempt", "Outcome", "Duration", "Delay before", "Failure"].map((h) => el("th", { text: h })))),
        el(
          "tbody",
          {},
          d.attempts.map((a) =>
            el(
              "tr",
              { class: `attempt-row ${a.outcome}${a.id === d.id ? " current" : ""}`, "data-id": a.id, onclick: () => openDetail(a.id) },
              el("td", { text: String(a.attempt) }),
              el("td", { text: a.outcome }),
              el("td", { class: "num", text: duration(a.ms) }),
              el("td", {
                class: "num",
                text: a.attempt === 1 ? "–" : a.policy_delay_ms !== null ? `${duration(a.policy_delay_ms)} (policy)` : duration(a.waited_ms),
              }),
              el("td", { class: "failure", text: a.error || "" }),
            ),
          ),
        ),
      ),
    );
  }

  function renderDetail(d) {
    const panel = $("#detail");
    const status = d.status ?? d.outcome;
    const parts = [
      el(
        "header",
        { class: "detail-head" },
        el("h2", { text: d.function }),
        el("span", { class: `badge ${d.failed ? "bad" : "good"}`, text: String(status) }),
        el("span", { class: "muted", text: `${d.trigger} · ${clock(d.time)} · ${duration(d.ms)}${d.attempt > 1 ? ` · attempt ${d.attempt}` : ""}` }),
        el("button", { class: "close", type: "button", title: "close", text: "×", onclick: closeDetail }),
      ),
      el("div", { class: "muted mono", text: `invocation ${d.id}` }),
      ...(d.detailed
        ? [httpPart(d), errorPart(d), hooksPart(d), spansPart(d), logsPart(d)]
        : [
            el("p", {
              class: "not-recorded",
              text:
                "This invocation ran while no dashboard page was open, so only its outcome was kept. " +
                "Hooks, spans, log lines and bodies are recorded while a page is open (and for five minutes after).",
            }),
            errorPart(d),
          ]),
      attemptsPart(d),
    ];
    panel.replaceChildren(...parts.filter(Boolean));
  }

  function closeDetail() {
    state.selected = null;
    $("#detail").hidden = true;
    scheduleRender();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#filter-function").addEventListener("change", scheduleRender);
    $("#filter-outcome").addEventListener("change", scheduleRender);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeDetail();
    });
    connect();
  });
})();
