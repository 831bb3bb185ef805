"use strict";
// What the console's small pages share: JSON calls that send the session's CSRF token,
// a sign-in redirect on 401, and chart figures. Loaded before each page's own script.
window.consoleApi = (() => {
  let csrf = "";

  async function call(path, options = {}) {
    const response = await fetch(path, { credentials: "same-origin", ...options });
    if (response.status === 401) { window.location.href = "/console/signin"; return null; }
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  const post = (path, body) => call(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });

  // The signed-in member, whose CSRF token later posts carry; null when signed out.
  async function me() {
    const member = await call("/api/me");
    if (member) csrf = member.csrf_token || "";
    return member;
  }

  function showCharts(container, charts) {
    container.replaceChildren();
    for (const chart of charts) {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = chart.src;
      img.alt = chart.title;
      const caption = document.createElement("figcaption");
      caption.textContent = chart.title;
      figure.append(img, caption);
      container.appendChild(figure);
    }
  }

  return { call, post, me, showCharts };
})();
