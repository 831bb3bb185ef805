"use strict";
// The metrics page: the signed-in member's stores, one store's numbers and charts.
(() => {
  const $ = (id) => document.getElementById(id);
  const pct = (v) => (v === null || v === undefined ? "n/a" : `${Math.round(v * 100)}%`);
  const dur = (s) => {
    if (s === null || s === undefined) return "n/a";
    if (s < 60) return `${Math.round(s)}s`;
    if (s < 3600) return `${Math.round(s / 60)}m`;
    return `${(s / 3600).toFixed(1)}h`;
  };
  const ROWS = [
    ["Conversations", (m) => m.conversations],
    ["Messages in / out", (m) => `${m.messages_in} / ${m.messages_out}`],
    ["First response (median / p90)", (m) => `${dur(m.first_response.median)} / ${dur(m.first_response.p90)}`],
    ["Resolution (median / p90)", (m) => `${dur(m.resolution.median)} / ${dur(m.resolution.p90)}`],
    ["Auto-reply rate", (m) => pct(m.auto_reply_rate)],
    ["Draft acceptance", (m) => pct(m.draft_acceptance_rate)],
    ["Review pass rate", (m) => pct(m.review_pass_rate)],
    ["Edit rate", (m) => pct(m.edit_rate)],
    ["Escalation rate", (m) => pct(m.escalation_rate)],
    ["Takeover rate", (m) => pct(m.takeover_rate)],
    ["SLA breaches", (m) => m.sla_breaches],
  ];

  async function getJson(path) {
    const response = await fetch(path, { credentials: "same-origin" });
    if (response.status === 401) { window.location.href = "/console/signin"; return null; }
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function cell(row, text, tag = "td") {
    const el = document.createElement(tag);
    el.textContent = String(text);
    row.appendChild(el);
  }

  let latest = 0; // answers to superseded selections are dropped, not drawn over newer ones

  async function load() {
    const request = ++latest;
    const store = $("metrics-store").value;
    const period = $("metrics-period").value;
    $("metrics-status").textContent = "Loading…";
    try {
      const data = await getJson(`/api/metrics/${encodeURIComponent(store)}?period=${encodeURIComponent(period)}`);
      if (!data || request !== latest) return;
      const body = $("metrics-table").querySelector("tbody");
      body.replaceChildren();
      for (const [label, value] of ROWS) {
        const row = document.createElement("tr");
        cell(row, label, "th");
        cell(row, value(data.current));
        cell(row, value(data.previous));
        body.appendChild(row);
      }
      $("metrics-table").hidden = false;
      window.consoleApi.showCharts($("metrics-charts"), data.charts);
      $("metrics-digest").textContent = data.digest;
      const sales = (data.sales || {})[data.store.id];
      const revenue = sales ? Object.entries(sales.revenue).map(([c, v]) => `${v} ${c}`).join(", ") : "";
      $("metrics-sales").textContent = sales
        ? `asked ${sales.asked} → answered ${sales.answered} → recommended ${sales.recommended} → ordered ${sales.ordered} · revenue ${revenue || "0"}`
        : "No sales data.";
      const delivered = $("metrics-delivered");
      delivered.replaceChildren();
      if (!data.delivered_digests.length) delivered.textContent = "None delivered to the console yet.";
      for (const digest of data.delivered_digests) {
        const details = document.createElement("details");
        const summary = document.createElement("summary");
        summary.textContent = digest.key;
        const text = document.createElement("pre");
        text.className = "metrics-digest";
        text.textContent = digest.text;
        details.append(summary, text);
        delivered.appendChild(details);
      }
      $("metrics-status").textContent = `${data.store.name} · ${data.period.label} (${data.store.timezone})`;
    } catch (error) {
      if (request !== latest) return;
      $("metrics-status").textContent = `Could not load metrics: ${error.message}`;
    }
  }

  async function start() {
    const me = await getJson("/api/me");
    if (!me) return;
    const select = $("metrics-store");
    for (const store of me.stores) {
      const option = document.createElement("option");
      option.value = store.id;
      option.textContent = store.name;
      select.appendChild(option);
    }
    if (!me.stores.length) { $("metrics-status").textContent = "You have no stores."; return; }
    select.addEventListener("change", load);
    $("metrics-period").addEventListener("change", load);
    await load();
  }

  start();
})();
