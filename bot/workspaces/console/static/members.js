"use strict";
// The team page: who holds which role in the stores I manage, and invitation links.
(() => {
  const $ = (id) => document.getElementById(id);
  const { call, post, me: signedIn } = window.consoleApi;

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
    if (!(await signedIn())) return;
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
      const issued = await post("/api/members/invite", {
        email: form.get("email"), role: form.get("role"), scope: "store", scope_id: form.get("scope_id"),
      });
      $("invite-result").textContent =
        `Send this link to ${issued.email} (works once, until ${issued.expires_at}): ${window.location.origin}${issued.path}`;
    } catch (error) {
      $("invite-result").textContent = `Not invited: ${error.message}`;
    }
  });

  load().catch((error) => { $("members-status").textContent = error.message; });
})();
