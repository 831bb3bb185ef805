"use strict";
// The review queue: pending drafts across my stores, oldest first; pass rates; rollout review.
(() => {
  const $ = (id) => document.getElementById(id);
  const { call, post, me: signedIn } = window.consoleApi;
  const pct = (v) => (v === null || v === undefined ? "n/a" : `${Math.round(v * 100)}%`);
  const age = (s) => (s < 60 ? `${Math.round(s)}s` : s < 3600 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);


  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  }

  function actButton(label, onClick) {
    const button = el("button", label, { type: "button", class: "btn btn-secondary" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try { await onClick(); await loadQueue(); } catch (error) { $("review-status").textContent = error.message; button.disabled = false; }
    });
    return button;
  }

  async function loadQueue() {
    const data = await call("/api/review-queue");
    if (!data) return;
    $("review-rows").replaceChildren(...data.items.map((item) => {
      const row = el("tr", undefined, { "data-draft-id": item.draft_id });
      const sla = item.sla ? ` · SLA ${item.sla.stage} (target ${age(item.sla.target_seconds)})` : "";
      row.append(el("td", age(item.age_seconds) + sla), el("td", item.store_name), el("td", item.customer_name),
        el("td", item.route + (item.risk_reasons.length ? ` (${item.risk_reasons.join(", ")})` : "")),
        el("td", item.confident ? item.text : "(no confident answer)"));
      const act = el("td");
      if (item.confident) act.append(actButton("Approve & send", () => post(`/api/drafts/${encodeURIComponent(item.draft_id)}/approve`, {})));
      act.append(actButton("Reject", () => {
        const reason = window.prompt("Why is this draft rejected?");
        return reason ? post(`/api/drafts/${encodeURIComponent(item.draft_id)}/reject`, { reason }) : null;
      }));
      const open = el("a", "Open", { href: `/console#/store/${encodeURIComponent(item.store_id)}/c/${encodeURIComponent(item.conversation_id)}` });
      act.append(open);
      row.append(act);
      return row;
    }));
    $("review-status").textContent = data.stores.length
      ? `${data.items.length} drafts waiting in ${data.stores.length} stores`
      : "The review queue is for leads and admins.";
    $("rollout-store").replaceChildren(...data.stores.map((s) => new Option(s, s)));
  }

  function ratesTable(title, rows) {
    const table = el("table", undefined, { class: "metrics-table" });
    const head = el("tr");
    for (const h of [title, "Reviewed", "Approved unchanged", "Edited", "Rejected", "Pass rate"]) head.append(el("th", h));
    table.append(head);
    for (const [key, r] of Object.entries(rows)) {
      const row = el("tr");
      for (const v of [key, r.reviewed, r.approved, r.edited, r.rejected, pct(r.pass_rate)]) row.append(el("td", v));
      table.append(row);
    }
    return table;
  }

  async function loadRates() {
    const data = await call("/api/review-pass-rates?days=30");
    if (!data) return;
    $("pass-rates").replaceChildren(
      ratesTable("All stores", { all: data.overall }), ratesTable("Store", data.by_store),
      ratesTable("Intent", data.by_intent), ratesTable("Agent", data.by_agent));
  }

  async function loadRollout() {
    const store = $("rollout-store").value;
    if (!store) return;
    $("rollout").textContent = "Loading…";
    const data = await call(`/api/stores/${encodeURIComponent(store)}/rollout`);
    if (!data) return;
    const section = (title, items) => {
      const list = el("ol");
      for (const item of items) list.append(el("li", `×${item.count} ${item.example} [${[...item.intents, ...item.reasons].join(", ")}]`));
      return [el("h3", `${title} (${items.length})`), list];
    };
    $("rollout").replaceChildren(el("p", `${data.questions} questions in the last 90 days`),
      ...section("Most frequent", data.frequent), ...section("High risk", data.high_risk));
  }

  $("rollout-store").addEventListener("change", () => loadRollout().catch((e) => { $("rollout").textContent = e.message; }));

  (async () => {
    if (!(await signedIn())) return;
    await loadQueue();
    await Promise.all([loadRates(), loadRollout()]);
  })().catch((error) => { $("review-status").textContent = error.message; });
})();
