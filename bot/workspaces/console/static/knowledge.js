// Knowledge pages of the console: browse, search in a store's scope, edit, versions and
// diffs, proposals from edited drafts, and gaps. Same API rules as the console: session
// cookie, X-CSRF-Token and JSON on every change.
(function () {
  'use strict';
  const state = { csrf: '', stores: [], store: null, tab: 'articles', shown: 0 };
  const byId = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'testid') el.dataset.testid = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (method !== 'GET') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = state.csrf;
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, options);
    if (response.status === 401) { window.location.assign('/console/signin'); throw new Error('signed out'); }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `request failed (${response.status})`);
    return data;
  }

  function toast(message) {
    const region = byId('toast-region');
    region.replaceChildren(h('div', { class: 'toast', role: 'alert', testid: 'toast' }, message));
    setTimeout(() => region.replaceChildren(), 5000);
  }

  const lead = () => state.store && ['lead', 'admin'].includes(state.store.role);
  const q = (s) => encodeURIComponent(s);

  function scopeTags(a) {
    const tags = [];
    for (const key of ['store', 'brand', 'region', 'language', 'campaign']) {
      if (a[key]) tags.push(h('span', { class: 'kb-scope' }, `${key}: ${a[key]}`));
    }
    return tags.length ? tags : [h('span', { class: 'kb-scope' }, 'all stores')];
  }

  function show(list, detail) {
    byId('kb-list').replaceChildren(...list);
    byId('kb-detail').replaceChildren(...(detail || []));
  }

  // ------------------------------------------------------------ articles

  async function articles() {
    const view = state.shown;
    const data = await api('GET', `/api/knowledge/articles?store=${q(state.store.id)}`);
    if (view !== state.shown) return; // the store or tab changed meanwhile
    show(data.articles.map((a) => h('div', { class: 'kb-item', testid: 'kb-article', onclick: () => article(a.id) },
      h('div', {}, a.title), h('div', { class: 'kb-meta' }, `v${a.version} · ${a.status} · `, scopeTags(a)))));
  }

  async function article(id) {
    const data = await api('GET', `/api/knowledge/article?id=${q(id)}`);
    const versions = data.versions;
    const current = versions[versions.length - 1];
    const diffBox = h('div', { class: 'kb-diff', testid: 'kb-diff' });
    const history = versions.map((v) => h('li', {},
      `v${v.version} · ${v.status} · by ${v.author || '—'}${v.approver ? `, approved by ${v.approver}` : ''} `,
      v.version > 1 ? h('button', { type: 'button', onclick: async () => {
        const d = await api('GET', `/api/knowledge/diff?id=${q(id)}&from=${v.version - 1}&to=${v.version}`);
        diffBox.textContent = d.diff || '(no change)';
      } }, 'diff') : null));
    const detail = [h('h2', {}, current.title), h('div', { class: 'kb-meta' }, scopeTags(current)),
      h('p', { class: 'kb-meta' }, current.valid_from || current.valid_until
        ? `valid ${current.valid_from || '…'} – ${current.valid_until || '…'}` : 'always valid'),
      h('pre', { class: 'kb-diff' }, current.body), h('h3', {}, 'Versions'), h('ul', {}, history), diffBox];
    if (lead()) {
      const title = h('input', { type: 'text', value: current.title, 'aria-label': 'Title' });
      const body = h('textarea', { 'aria-label': 'Body', testid: 'kb-edit-body' });
      body.value = current.body;
      detail.push(h('h3', {}, 'Edit (saves a new version)'), title, body, h('div', { class: 'kb-actions' },
        h('button', { type: 'button', class: 'btn', onclick: async () => {
          try {
            await api('POST', '/api/knowledge/article/edit', { id, title: title.value, body: body.value });
            toast('Saved as a new version'); await article(id);
          } catch (err) { toast(err.message); }
        } }, 'Save new version')));
    }
    byId('kb-detail').replaceChildren(...detail);
  }

  // ------------------------------------------------------------ search

  function search() {
    const input = h('input', { type: 'text', placeholder: `Ask as a customer of ${state.store.name}`, testid: 'kb-search' });
    const results = h('div', {});
    const run = async () => {
      if (!input.value.trim()) return;
      const data = await api('GET', `/api/knowledge/search?store=${q(state.store.id)}&q=${q(input.value)}`);
      results.replaceChildren(...data.hits.map((hit) => h('div', { class: 'kb-item', onclick: () => article(hit.article_id) },
        h('div', {}, hit.title), h('div', { class: 'kb-meta' }, `${hit.article_id} v${hit.version} · score ${hit.score}`),
        h('div', {}, hit.text))));
      if (!data.hits.length) results.replaceChildren(h('p', {}, 'Nothing in this store\'s scope answers that.'));
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') run().catch((err) => toast(err.message)); });
    show([input, results]);
  }

  // ------------------------------------------------------------ proposals

  async function proposals() {
    const view = state.shown;
    const data = await api('GET', `/api/knowledge/proposals?store=${q(state.store.id)}&status=open`);
    if (view !== state.shown) return; // the store or tab changed meanwhile
    if (!data.proposals.length) { show([h('p', {}, 'No open proposals.')]); return; }
    show(data.proposals.map((p) => h('div', { class: 'kb-item', testid: 'kb-proposal', onclick: () => proposal(p.id) },
      h('div', {}, p.question), h('div', { class: 'kb-meta' },
        p.article_id ? `update of ${p.article_id} v${p.article_version}` : 'new article', ` · by ${p.created_by}`))));
  }

  async function proposal(id) {
    const p = await api('GET', `/api/knowledge/proposals/${q(id)}`);
    const detail = [h('h2', {}, p.question), h('p', { class: 'kb-meta' },
      p.article_id ? `Edited draft cited ${p.article_id} v${p.article_version}` : 'No article matched'),
      h('h3', {}, 'Draft → sent'), h('div', { class: 'kb-diff' }, p.diff)];
    if (lead() && p.status === 'open') {
      const title = h('input', { type: 'text', value: p.suggestion.title, 'aria-label': 'Title' });
      const body = h('textarea', { 'aria-label': 'Suggested text' });
      body.value = p.suggestion.body;
      const decide = (path, payload, done) => async () => {
        try { await api('POST', path, payload()); toast(done); await proposals(); byId('kb-detail').replaceChildren(); }
        catch (err) { toast(err.message); }
      };
      detail.push(h('h3', {}, 'Suggested version (edit before accepting if needed)'), title, body,
        h('div', { class: 'kb-actions' },
          h('button', { type: 'button', class: 'btn', testid: 'kb-accept',
            onclick: decide(`/api/knowledge/proposals/${q(id)}/accept`, () => ({ title: title.value, body: body.value }), 'Accepted: new version is live') }, 'Accept'),
          h('button', { type: 'button', class: 'btn btn-ghost',
            onclick: decide(`/api/knowledge/proposals/${q(id)}/reject`, () => ({}), 'Rejected') }, 'Reject')));
    }
    byId('kb-detail').replaceChildren(...detail);
  }

  // ------------------------------------------------------------ gaps

  async function gaps() {
    const view = state.shown;
    const data = await api('GET', `/api/knowledge/gaps?store=${q(state.store.id)}`);
    if (view !== state.shown) return; // the store or tab changed meanwhile
    if (!data.gaps.length) { show([h('p', {}, 'No repeated unanswered questions.')]); return; }
    show(data.gaps.map((g) => h('div', { class: 'kb-item', testid: 'kb-gap' },
      h('div', {}, `${g.question} (${g.count}×)`),
      h('ul', { class: 'kb-meta' }, g.examples.map((e) => h('li', {}, e))))));
  }

  // ------------------------------------------------------------ shell

  const views = { articles, search, proposals, gaps };

  async function render() {
    state.shown += 1;
    for (const tab of document.querySelectorAll('[data-tab]')) {
      tab.setAttribute('aria-selected', String(tab.dataset.tab === state.tab));
    }
    byId('kb-detail').replaceChildren();
    try { await views[state.tab](); } catch (err) { toast(err.message); }
  }

  async function start() {
    const me = await api('GET', '/api/me');
    state.csrf = me.csrf_token;
    state.stores = me.stores;
    state.store = me.stores[0] || null;
    const select = byId('kb-store');
    select.replaceChildren(...me.stores.map((s) => h('option', { value: s.id }, s.name)));
    select.addEventListener('change', () => { state.store = state.stores.find((s) => s.id === select.value); render(); });
    for (const tab of document.querySelectorAll('[data-tab]')) {
      tab.addEventListener('click', () => { state.tab = tab.dataset.tab; render(); });
    }
    if (state.store) await render();
  }

  start().catch((err) => toast(err.message));
})();
