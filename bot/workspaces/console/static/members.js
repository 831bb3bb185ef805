"use strict";
// The team page: who holds which role in the stores I manage, and invitation links.
(() => {
  const $ = (id) => document.getElementById(id);
  let csrf = "";

  async function call(path, options = {}) {
    const response = await fetch(path, { credentials: "same-origin", ...options });
    if (response.status === 401) { window.location.href = "/console/signin"; return null; }
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }

  async function load() {
    const me = await call("/api/me");
    if (!me) return;
    csrf = me.csrf_token;
    const data = await call("/api/members");
    const rows = $("members-rows");
    rows.replaceChildren(...data.grants.map((g) => row([
      `${g.name} (${g.member_id})`, g.role, g.scope_id ? `${g.scope} ${g.scope_id}` : g.scope, g.source,
    ])));
    $("invite-store").replaceChildren(...data.stores.map((s) => new Option(s, s)));
    $("members-status").textContent = data.stores.length
      ? `${data.grants.length} grants in ${data.stores.length} stores you manage`
      : "You do not manage any store.";
  }

  $("invite-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const issued = await call("/api/members/invite", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({
          email: form.get("email"), role: form.get("role"), scope: "store", scope_id: form.get("scope_id"),
        }),
      });
      $("invite-result").textContent =
        `Send this link to ${issued.email} (works once, until ${issued.expires_at}): ${window.location.origin}${issued.path}`;
    } catch (error) {
      $("invite-result").textContent = `Not invited: ${error.message}`;
    }
  });

  load().catch((error) => { $("members-status").textContent = error.message; });
})();
