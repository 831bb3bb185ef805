"use strict";
// The digests page: console digests of the member's stores, and the console's schedule.
(() => {
  const $ = (id) => document.getElementById(id);
  const { call, post, me: signedIn, showCharts } = window.consoleApi;

  async function show(key) {
    const digest = await call(`/api/digests/${encodeURIComponent(key)}`);
    if (!digest) return;
    $("digest-text").textContent = digest.text;
    showCharts($("digest-charts"), digest.charts);
    $("digest-view").hidden = false;
  }

  async function load() {
    const data = await call("/api/digests");
    if (!data) return;
    const list = $("digests-list");
    list.replaceChildren();
    for (const digest of data.digests) {
      const item = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.textContent = `${digest.title} (${digest.store_ids.join(", ")})`;
      link.addEventListener("click", () => show(digest.key).catch((e) => { $("digests-status").textContent = e.message; }));
      item.appendChild(link);
      list.appendChild(item);
    }
    const subs = $("subscriptions-list");
    subs.replaceChildren();
    for (const sub of data.subscriptions) {
      const item = document.createElement("li");
      item.textContent = sub.said + " ";
      if (sub.store_ids.every((s) => data.can_subscribe.includes(s))) {
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.textContent = "Cancel";
        cancel.addEventListener("click", async () => {
          try { await post(`/api/digest-subscriptions/${encodeURIComponent(sub.id)}/cancel`, {}); await load(); }
          catch (e) { $("digests-status").textContent = e.message; }
        });
        item.appendChild(cancel);
      }
      subs.appendChild(item);
    }
    const stores = $("subscribe-stores");
    stores.querySelectorAll("label").forEach((label) => label.remove());
    for (const id of data.can_subscribe) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = id;
      label.append(box, ` ${id}`);
      stores.appendChild(label);
    }
    $("subscribe-form").hidden = !data.can_subscribe.length;
    $("digests-status").textContent = data.digests.length ? "" : "No digest delivered to the console yet.";
  }

  async function start() {
    if (!(await signedIn())) return;
    $("subscribe-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const stores = [...$("subscribe-stores").querySelectorAll("input:checked")].map((box) => box.value);
      try {
        const done = await post("/api/digest-subscriptions", { schedule: $("subscribe-schedule").value, stores });
        $("subscribe-status").textContent = `Scheduled: ${done.subscription.said}`;
        await load();
      } catch (e) { $("subscribe-status").textContent = e.message; }
    });
    await load();
  }

  start().catch((e) => { $("digests-status").textContent = `Could not load digests: ${e.message}`; });
})();
