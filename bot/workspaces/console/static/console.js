/* Storedesk team console: vanilla JS, no build step.
 * All data from the API is rendered with textContent (via h()); customer text is hostile input. */
'use strict';

(function () {
  const POLL_MS = 15000;
  const DEBOUNCE_MS = 150;
  const DEBOUNCE_MAX_MS = 1000;
  const TOAST_MS = 10000;
  const READ_ONLY_ROLES = new Set(['client', 'manager']);
  const SUPERVISOR_ROLES = new Set(['lead', 'admin']);
  const STATUS_LABELS = {
    open: 'open', waiting: 'waiting', review: 'review',
    escalated: 'escalated', taken_over: 'taken over', resolved: 'resolved',
  };
  const DELIVERY_LABELS = { queued: 'queued', sent: 'sent', failed: 'failed' };
  const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  const SEND_KEY_HINT = IS_MAC ? '⌘ Enter' : 'Ctrl Enter';

  // ---------------------------------------------------------------- DOM helpers

  /** Build an element. props: class, testid, text, dataset, on<event>, or plain attributes. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value == null || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'testid') el.setAttribute('data-testid', value);
        else if (key === 'text') el.textContent = value;
        else if (key === 'value') el.value = value;
        else if (key === 'dataset') Object.assign(el.dataset, value);
        else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
        else if (value === true) el.setAttribute(key, '');
        else el.setAttribute(key, String(value));
      }
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false || child === '') continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  const byId = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  function button(label, props) {
    return h('button', Object.assign({ type: 'button', class: 'btn' }, props), label);
  }

  // ---------------------------------------------------------------- time

  function parseTime(value) {
    if (!value) return null;
    let s = String(value).trim().replace(' ', 'T');
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(s)) s += 'Z'; // the API speaks UTC
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  function relativeTime(d) {
    if (!d) return '';
    const secs = (Date.now() - d.getTime()) / 1000;
    if (secs < 45) return 'just now';
    if (secs < 3600) return `${Math.max(1, Math.round(secs / 60))}m`;
    if (secs < 86400) return `${Math.round(secs / 3600)}h`;
    if (secs < 7 * 86400) return `${Math.round(secs / 86400)}d`;
    const opts = { month: 'short', day: 'numeric' };
    if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
    return d.toLocaleDateString(undefined, opts);
  }

  function clockTime(d) {
    if (!d) return '';
    const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    if (sameDay(d, new Date())) return time;
    return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
  }

  function dayLabel(d) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (sameDay(d, today)) return 'Today';
    if (sameDay(d, yesterday)) return 'Yesterday';
    return d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
  }

  function timeEl(value, format) {
    const d = parseTime(value);
    if (!d) return null;
    return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, format(d));
  }

  // ---------------------------------------------------------------- state

  const state = {
    me: null,
    csrf: '',
    stores: [],
    storeById: new Map(),
    convs: new Map(),        // store id -> conversations[]
    convErrors: new Map(),   // store id -> error text
    route: { storeId: null, convId: null, view: 'conversations' },
    filter: 'all',
    detail: null,            // GET /api/conversations/{id} of the open thread
    detailError: null,
    deadLetters: null,
    deadLettersError: null,
    ui: freshUi(null),       // draft-card / escalate state of the open thread
    composerText: new Map(), // conversation id -> unsent composer text
    busy: null,              // name of the action in flight, if any
    threadSig: null,
    composerSig: null,
  };

  function freshUi(draftId) {
    return { draftId, editing: false, editText: '', escalating: false, escalateReason: '', escalateError: '', notice: '' };
  }

  const storeOf = (id) => state.storeById.get(String(id)) || null;
  const roleIn = (storeId) => (storeOf(storeId) || {}).role || '';
  const isReadOnly = (storeId) => READ_ONLY_ROLES.has(roleIn(storeId));
  const isSupervisor = (storeId) => SUPERVISOR_ROLES.has(roleIn(storeId));

  function needsAction(c) {
    if (c.status === 'resolved') return false;
    return Boolean(c.pending_draft || c.review_required || c.status === 'review' || c.status === 'escalated');
  }

  function actorName(actor) {
    if (!actor) return 'someone';
    const a = String(actor);
    if (state.me && a === String(state.me.member.id)) return state.me.member.name || a;
    if (a.startsWith('storedesk')) return 'storedesk';
    if (a.startsWith('customer:')) return (state.detail && state.detail.conversation.customer_name) || 'customer';
    return a;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  function goToSignIn() {
    window.location.assign('/console/signin');
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = state.csrf;
      options.body = JSON.stringify(body || {});
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      throw new ApiError('Cannot reach the server. Check your connection and try again.', 0);
    }
    if (response.status === 401) {
      goToSignIn();
      throw new ApiError('Your session has ended. Please sign in again.', 401);
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch (err) { data = null; }
    }
    if (!response.ok) {
      const message = data && typeof data.error === 'string' && data.error
        ? data.error
        : `Request failed (${response.status} ${response.statusText})`;
      throw new ApiError(message, response.status);
    }
    return data || {};
  }

  // Drops responses that arrive after a newer request for the same key was made.
  const latest = new Map();
  function ticket(key) {
    const n = (latest.get(key) || 0) + 1;
    latest.set(key, n);
    return () => latest.get(key) === n;
  }

  // ---------------------------------------------------------------- toast

  let toastTimer = null;
  function showToast(message) {
    const region = byId('toast-region');
    clearTimeout(toastTimer);
    // Icon and × are drawn in CSS so the toast's text is exactly the server's message.
    const toast = h('div', { class: 'toast', role: 'alert', testid: 'toast' },
      h('span', { class: 'toast-message' }, message),
      h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', title: 'Dismiss', onclick: dismissToast }));
    region.replaceChildren(toast); // one at a time: the newest error is the relevant one
    toastTimer = setTimeout(dismissToast, TOAST_MS);
  }
  function dismissToast() {
    clearTimeout(toastTimer);
    byId('toast-region').replaceChildren();
  }

  // ---------------------------------------------------------------- routing
  // #/store/<store>            conversations of a store
  // #/store/<store>/c/<conv>   one conversation open
  // #/store/<store>/dead-letters

  function parseHash() {
    const route = { storeId: null, convId: null, view: 'conversations' };
    let parts;
    try {
      parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
    } catch (err) {
      return route;
    }
    if (parts[0] !== 'store' || !parts[1]) return route;
    route.storeId = parts[1];
    if (parts[2] === 'c' && parts[3]) route.convId = parts[3];
    else if (parts[2] === 'dead-letters') route.view = 'dead-letters';
    return route;
  }

  function hashFor(route) {
    if (!route.storeId) return '#/';
    let hash = `#/store/${enc(route.storeId)}`;
    if (route.view === 'dead-letters') hash += '/dead-letters';
    else if (route.convId) hash += `/c/${enc(route.convId)}`;
    return hash;
  }

  function navigate(route, replace) {
    const hash = hashFor(Object.assign({ convId: null, view: 'conversations' }, route));
    if (replace) {
      history.replaceState(null, '', hash);
      applyRoute();
    } else if (window.location.hash === hash) {
      applyRoute();
    } else {
      window.location.hash = hash; // hashchange calls applyRoute
    }
  }

  function applyRoute() {
    const next = parseHash();
    if (!next.storeId || !state.storeById.has(next.storeId)) {
      if (state.stores.length) {
        navigate({ storeId: state.stores[0].id }, true);
        return;
      }
    }
    const prev = state.route;
    state.route = next;
    if (prev.convId !== next.convId) {
      state.detail = null;
      state.detailError = null;
      state.ui = freshUi(null);
      state.threadSig = null;
    }
    if (prev.storeId !== next.storeId || prev.view !== next.view) {
      state.deadLetters = null;
      state.deadLettersError = null;
    }
    document.body.classList.toggle('has-thread', Boolean(next.convId || next.view === 'dead-letters'));
    renderAll();
    if (next.storeId && !state.convs.has(next.storeId)) refreshStore(next.storeId);
    if (next.convId) refreshThread();
    if (next.view === 'dead-letters') refreshDeadLetters();
  }

  // ---------------------------------------------------------------- data loading

  async function refreshStore(storeId) {
    const fresh = ticket(`store:${storeId}`);
    try {
      const data = await api('GET', `/api/stores/${enc(storeId)}/conversations`);
      if (!fresh()) return;
      state.convs.set(storeId, Array.isArray(data.conversations) ? data.conversations : []);
      state.convErrors.delete(storeId);
    } catch (err) {
      if (!fresh() || err.status === 401) return;
      state.convErrors.set(storeId, err.message);
    }
    renderSidebar();
    if (storeId === state.route.storeId) renderConversationList();
  }

  async function refreshThread() {
    const convId = state.route.convId;
    if (!convId) return;
    const fresh = ticket('thread');
    try {
      const data = await api('GET', `/api/conversations/${enc(convId)}`);
      if (!fresh() || state.route.convId !== convId) return;
      const draftId = data.draft ? data.draft.id : null;
      if (draftId !== state.ui.draftId) {
        // A newer draft replaced the old one (or it was sent). Keep what the person was typing.
        const prev = state.ui;
        state.ui = freshUi(draftId);
        state.ui.escalating = prev.escalating;
        state.ui.escalateReason = prev.escalateReason;
        if (draftId !== null && prev.editing) {
          state.ui.editing = true;
          state.ui.editText = prev.editText;
          state.ui.notice = 'A newer draft arrived while you were editing; your text is kept.';
        }
      }
      state.detail = data;
      state.detailError = null;
    } catch (err) {
      if (!fresh() || err.status === 401) return;
      if (state.detail && err.status !== 404) return; // keep what we have; the next refresh retries
      state.detailError = err.status === 404 ? 'This conversation does not exist or is not visible to you.' : err.message;
    }
    renderThreadPane();
  }

  async function refreshDeadLetters() {
    const storeId = state.route.storeId;
    if (!storeId || state.route.view !== 'dead-letters') return;
    const fresh = ticket('dead-letters');
    try {
      const data = await api('GET', `/api/stores/${enc(storeId)}/dead-letters`);
      if (!fresh() || state.route.storeId !== storeId) return;
      state.deadLetters = Array.isArray(data.items) ? data.items : [];
      state.deadLettersError = null;
    } catch (err) {
      if (!fresh() || err.status === 401) return;
      state.deadLettersError = err.message;
    }
    renderThreadPane();
  }

  function refreshAll() {
    for (const store of state.stores) refreshStore(store.id);
    if (state.route.convId) refreshThread();
    if (state.route.view === 'dead-letters') refreshDeadLetters();
  }

  // ---------------------------------------------------------------- live updates

  const pending = { stores: new Set(), convs: new Set(), all: false, timer: null, since: 0 };

  function queueChange(data) {
    if (data && data.store_id != null) pending.stores.add(String(data.store_id));
    else pending.all = true;
    if (data && data.conversation_id != null) pending.convs.add(String(data.conversation_id));
    clearTimeout(pending.timer);
    if (!pending.since) pending.since = Date.now();
    // Debounce, but never starve under a steady stream of events.
    const wait = Date.now() - pending.since > DEBOUNCE_MAX_MS ? 0 : DEBOUNCE_MS;
    pending.timer = setTimeout(flushChanges, wait);
  }

  function flushChanges() {
    const { stores, convs, all } = pending;
    pending.stores = new Set();
    pending.convs = new Set();
    pending.all = false;
    pending.since = 0;
    if (all) {
      refreshAll();
      return;
    }
    for (const storeId of stores) if (state.storeById.has(storeId)) refreshStore(storeId);
    const { convId, storeId, view } = state.route;
    if (convId && (convs.has(convId) || (convs.size === 0 && stores.has(storeId)))) refreshThread();
    if (view === 'dead-letters' && stores.has(storeId)) refreshDeadLetters();
  }

  let source = null;
  let reconnectDelay = 1000;
  let reconnectTimer = null;
  let everConnected = false;

  function setLive(status) {
    const el = byId('live-status');
    el.dataset.state = status;
    el.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[status] || status;
    el.title = status === 'live' ? 'Updates arrive as they happen' : 'Live updates paused; refreshing every 15 s';
  }

  function connectEvents() {
    clearTimeout(reconnectTimer);
    if (source) source.close();
    try {
      source = new EventSource('/api/events');
    } catch (err) {
      scheduleReconnect();
      return;
    }
    source.addEventListener('open', () => {
      reconnectDelay = 1000;
      setLive('live');
      if (everConnected) refreshAll(); // we may have missed events while away
      everConnected = true;
    });
    const onChange = (event) => {
      let data = null;
      try { data = JSON.parse(event.data || 'null'); } catch (err) { data = null; }
      queueChange(data);
    };
    source.addEventListener('changed', onChange);
    source.onmessage = onChange; // tolerate unnamed events too
    source.addEventListener('error', () => {
      setLive('reconnecting');
      if (source) source.close();
      source = null;
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connectEvents, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 30000);
  }

  // ---------------------------------------------------------------- actions

  async function runAction(name, request, onSuccess) {
    if (state.busy) return false;
    state.busy = name;
    rerender();
    let ok = false;
    try {
      await request();
      ok = true;
      if (onSuccess) onSuccess();
    } catch (err) {
      if (err.status !== 401) showToast(err.message);
    } finally {
      state.busy = null;
      rerender();
    }
    if (ok) {
      const storeId = state.route.storeId;
      if (storeId) refreshStore(storeId);
      if (state.route.convId) refreshThread();
      if (state.route.view === 'dead-letters') refreshDeadLetters();
    }
    return ok;
  }

  function rerender() {
    state.threadSig = null;
    renderThreadPane();
    updateComposerButtons();
  }

  const convPath = () => `/api/conversations/${enc(state.route.convId)}`;

  function approveDraft(draft) {
    runAction('approve', () => api('POST', `/api/drafts/${enc(draft.id)}/approve`, {}),
      () => { state.ui = freshUi(draft.id); });
  }

  function cancelAutoSend(draft) {
    runAction('cancel-auto', () => api('POST', `/api/drafts/${enc(draft.id)}/cancel-auto-send`, {}));
  }

  function sendEdited(draft) {
    const text = state.ui.editText.trim();
    if (!text) {
      focusTestId('edit-text');
      return;
    }
    runAction('edit', () => api('POST', `/api/drafts/${enc(draft.id)}/edit`, { text }),
      () => { state.ui = freshUi(draft.id); });
  }

  function confirmEscalate() {
    const reason = state.ui.escalateReason.trim();
    if (!reason) {
      state.ui.escalateError = 'Say why this needs a lead.';
      rerender();
      focusTestId('escalate-reason');
      return;
    }
    runAction('escalate', () => api('POST', `${convPath()}/escalate`, { reason }),
      () => { state.ui = freshUi(state.ui.draftId); });
  }

  function takeOver() {
    runAction('takeover', () => api('POST', `${convPath()}/takeover`, {}));
  }

  function resolve() {
    runAction('resolve', () => api('POST', `${convPath()}/resolve`, {}));
  }

  function sendComposer(kind) {
    const convId = state.route.convId;
    const textarea = byId('composer-text');
    if (!convId || !textarea) return;
    const text = textarea.value.trim();
    if (!text) {
      textarea.focus();
      return;
    }
    const paths = { note: 'notes', reply: 'reply', comment: 'comment' };
    const path = `${convPath()}/${paths[kind]}`;
    runAction(kind, () => api('POST', path, { text }), () => {
      state.composerText.delete(convId);
      if (state.route.convId === convId && byId('composer-text')) byId('composer-text').value = '';
    });
  }

  function retryDelivery(item) {
    runAction(`retry:${item.id}`, () => api('POST', `/api/outbox/${enc(item.id)}/retry`, {}));
  }

  async function signOut() {
    const btn = byId('btn-signout');
    btn.disabled = true;
    try {
      const response = await fetch('/console/signout', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.csrf, Accept: 'application/json' },
        body: '{}',
      });
      if (response.ok || response.redirected || response.status === 401) {
        goToSignIn();
        return;
      }
      let message = `Sign-out failed (${response.status})`;
      try { message = (await response.json()).error || message; } catch (err) { /* keep default */ }
      showToast(message);
    } catch (err) {
      showToast('Cannot reach the server to sign out.');
    }
    btn.disabled = false;
  }

  // ---------------------------------------------------------------- focus helpers

  function focusTestId(testid, caretToEnd) {
    requestAnimationFrame(() => {
      const el = document.querySelector(`[data-testid="${CSS.escape(testid)}"]`);
      if (!el) return;
      el.focus();
      if (caretToEnd && typeof el.setSelectionRange === 'function') {
        el.setSelectionRange(el.value.length, el.value.length);
      }
      el.scrollIntoView({ block: 'nearest' });
    });
  }

  function captureFocus() {
    const el = document.activeElement;
    if (!el || !el.dataset || !el.dataset.testid) return null;
    const saved = { testid: el.dataset.testid };
    if (typeof el.selectionStart === 'number') {
      saved.start = el.selectionStart;
      saved.end = el.selectionEnd;
    }
    return saved;
  }

  function restoreFocus(saved) {
    if (!saved) return;
    const el = document.querySelector(`[data-testid="${CSS.escape(saved.testid)}"]`);
    if (!el || el === document.activeElement) return;
    el.focus({ preventScroll: true });
    if (saved.start != null && typeof el.setSelectionRange === 'function') {
      try { el.setSelectionRange(saved.start, saved.end); } catch (err) { /* not a text field */ }
    }
  }

  // ---------------------------------------------------------------- rendering: shell

  function renderAll() {
    renderSidebar();
    renderBanner();
    renderStoreHeader();
    renderFilters();
    renderConversationList();
    renderThreadPane();
  }

  function renderMe() {
    const member = state.me.member;
    const name = member.name || member.id;
    byId('me-name').textContent = name;
    byId('me-avatar').textContent = Array.from(name.trim())[0] || '?';
    byId('me').title = `Signed in as ${name}`;
    byId('me').hidden = false;
  }

  function modeBadge(mode) {
    return mode ? h('span', { class: 'mode-badge', dataset: { mode: String(mode) }, title: `Store mode: ${mode}` }, mode) : null;
  }

  function statusPill(status) {
    return h('span', { class: 'status-pill', dataset: { status: String(status || '') } }, STATUS_LABELS[status] || status || 'unknown');
  }

  function renderSidebar() {
    const list = byId('store-list');
    if (!state.stores.length) {
      list.replaceChildren(h('li', { class: 'sidebar-empty' }, 'You are not a member of any store yet.'));
      return;
    }
    const focus = captureFocus();
    list.replaceChildren(...state.stores.map((store) => {
      const convs = state.convs.get(store.id) || [];
      const count = convs.filter(needsAction).length;
      const active = store.id === state.route.storeId;
      return h('li', null,
        h('a', {
          class: `store-item${active ? ' active' : ''}`,
          href: hashFor({ storeId: store.id }),
          testid: `store-${store.id}`,
          'aria-current': active ? 'page' : null,
          title: `${store.name} · you are ${store.role || 'a member'}`,
        },
        h('span', { class: 'store-item-main' },
          h('span', { class: 'store-hash', 'aria-hidden': 'true' }, '#'),
          h('span', { class: 'store-item-name' }, store.name || store.id),
          count > 0 ? h('span', { class: 'count-badge', 'aria-label': `${count} need action`, title: `${count} need action` }, String(count)) : null),
        h('span', { class: 'store-item-meta' }, modeBadge(store.mode), h('span', { class: 'store-role' }, store.role))));
    }));
    restoreFocus(focus);
  }

  function renderBanner() {
    const slot = byId('banner-slot');
    const storeId = state.route.storeId;
    if (!storeId || !isReadOnly(storeId)) {
      slot.replaceChildren();
      return;
    }
    const store = storeOf(storeId);
    slot.replaceChildren(h('div', { class: 'readonly-banner', role: 'note', testid: 'readonly-banner' },
      h('strong', null, 'Read-only'),
      ` — you can read ${store.name}'s conversations as ${store.role}, but you cannot act on them.`));
  }

  function renderStoreHeader() {
    const header = byId('store-header');
    const store = storeOf(state.route.storeId);
    if (!store) {
      header.replaceChildren(h('h1', { class: 'store-title' }, 'No store'));
      return;
    }
    const languages = Array.isArray(store.languages) && store.languages.length ? store.languages.join(' · ') : null;
    const inDeadLetters = state.route.view === 'dead-letters';
    header.replaceChildren(
      h('div', { class: 'store-title-row' },
        h('h1', { class: 'store-title' }, h('span', { class: 'store-hash', 'aria-hidden': 'true' }, '#'), store.name || store.id),
        modeBadge(store.mode)),
      h('div', { class: 'store-sub' },
        h('span', { class: 'store-you' }, 'You: ', h('strong', null, store.role || 'member')),
        languages ? h('span', { class: 'store-langs', title: 'Languages' }, languages) : null,
        h('a', {
          class: `dead-letters-link${inDeadLetters ? ' active' : ''}`,
          href: hashFor({ storeId: store.id, view: 'dead-letters' }),
          testid: 'dead-letters-link',
          'aria-current': inDeadLetters ? 'page' : null,
        }, 'Dead letters')));
  }

  const FILTERS = [
    ['all', 'All', () => true],
    ['action', 'Needs action', needsAction],
    ['resolved', 'Resolved', (c) => c.status === 'resolved'],
  ];

  function renderFilters() {
    const convs = state.convs.get(state.route.storeId) || [];
    byId('filters').replaceChildren(...FILTERS.map(([key, label, test]) => {
      const count = convs.filter(test).length;
      return button(h('span', null, label, h('span', { class: 'filter-count' }, String(count))), {
        class: `filter-chip${state.filter === key ? ' active' : ''}`,
        'aria-pressed': state.filter === key ? 'true' : 'false',
        onclick: () => { state.filter = key; renderFilters(); renderConversationList(); },
      });
    }));
  }

  function renderConversationList() {
    const list = byId('conversation-list');
    const storeId = state.route.storeId;
    renderFilters();
    if (!storeId) {
      list.replaceChildren();
      return;
    }
    const error = state.convErrors.get(storeId);
    const convs = state.convs.get(storeId);
    if (!convs) {
      list.replaceChildren(error
        ? h('li', { class: 'list-empty error' }, error)
        : h('li', { class: 'list-empty' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading conversations…'));
      return;
    }
    const test = (FILTERS.find(([key]) => key === state.filter) || FILTERS[0])[2];
    const shown = convs.filter(test);
    if (!shown.length) {
      list.replaceChildren(h('li', { class: 'list-empty' },
        convs.length ? 'Nothing matches this filter.' : 'No conversations yet. New customer messages show up here.'));
      return;
    }
    const focus = captureFocus();
    list.replaceChildren(...shown.map(conversationRow));
    restoreFocus(focus);
  }

  function conversationRow(c) {
    const id = String(c.id);
    const active = id === state.route.convId;
    const updated = parseTime(c.updated_at);
    return h('li', null,
      h('a', {
        class: `conv-row${active ? ' active' : ''}${needsAction(c) ? ' needs-action' : ''}`,
        href: hashFor({ storeId: state.route.storeId, convId: id }),
        testid: `conversation-${id}`,
        'aria-current': active ? 'page' : null,
        dataset: { status: String(c.status || '') },
      },
      h('span', { class: 'conv-top' },
        h('span', { class: 'conv-name' }, c.customer_name || 'Unknown customer'),
        updated ? h('time', { class: 'conv-time', datetime: updated.toISOString(), title: updated.toLocaleString() }, relativeTime(updated)) : null),
      h('span', { class: 'conv-meta' },
        statusPill(c.status),
        h('span', { class: 'channel-kind' }, c.channel_kind || 'channel'),
        c.pending_draft ? h('span', { class: 'marker marker-draft', dataset: { marker: 'draft' }, title: 'A draft awaits action' }, 'draft') : null,
        c.review_required ? h('span', { class: 'marker marker-review', dataset: { marker: 'review' }, title: 'Needs lead review' }, 'review required') : null),
      h('span', { class: 'conv-snippet' }, c.last_text || '\u00a0')));
  }

  // ---------------------------------------------------------------- rendering: right pane

  function renderThreadPane() {
    const header = byId('thread-header');
    const body = byId('thread-body');
    const { convId, view } = state.route;

    if (view === 'dead-letters') {
      state.threadSig = null;
      renderDeadLetters(header, body);
      clearComposer();
      return;
    }
    if (!convId) {
      state.threadSig = null;
      header.replaceChildren();
      body.replaceChildren(emptyState('Pick a conversation', 'Choose a thread on the left to read it and act on its draft.'));
      clearComposer();
      return;
    }
    if (state.detailError && !state.detail) {
      state.threadSig = null;
      header.replaceChildren(backButton());
      body.replaceChildren(emptyState('Cannot open this conversation', state.detailError));
      clearComposer();
      return;
    }
    if (!state.detail) {
      state.threadSig = null;
      header.replaceChildren(backButton());
      body.replaceChildren(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading conversation…'));
      clearComposer();
      return;
    }

    // Skip identical re-renders so polling never disturbs scrolling, selection or typing.
    const ui = state.ui;
    const sig = JSON.stringify([state.detail, ui.editing, ui.escalating, ui.escalateError, ui.notice, state.busy, state.route.storeId]);
    renderComposer();
    if (sig === state.threadSig) return;
    const firstRender = state.threadSig === null && !body.querySelector('.timeline');
    state.threadSig = sig;

    const focus = captureFocus();
    const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 60;
    const scrollTop = body.scrollTop;

    header.replaceChildren(renderThreadHeader(state.detail));
    body.replaceChildren(renderTimeline(state.detail), renderDraftCard(state.detail) || '');

    if (firstRender || atBottom) body.scrollTop = body.scrollHeight;
    else body.scrollTop = scrollTop;
    restoreFocus(focus);
  }

  function emptyState(title, text) {
    return h('div', { class: 'empty-state' },
      h('div', { class: 'empty-art', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      h('h2', null, title),
      h('p', null, text));
  }

  function backButton() {
    return button('‹ Back', {
      class: 'btn btn-ghost back-btn',
      'aria-label': 'Back to conversations',
      onclick: () => navigate({ storeId: state.route.storeId }),
    });
  }

  function renderThreadHeader(detail) {
    const conv = detail.conversation;
    const perms = detail.permissions || {};
    const readOnly = isReadOnly(conv.store_id);
    const busy = Boolean(state.busy);
    const resolved = conv.status === 'resolved';
    const noDraft = !detail.draft;
    const assignee = conv.assignee_id
      ? (state.me && String(conv.assignee_id) === String(state.me.member.id) ? 'you' : actorName(conv.assignee_id))
      : null;

    const actions = [];
    if (!readOnly) {
      // Without a draft card, Escalate and Take over live in the header instead.
      if (noDraft && perms.take_over && conv.status !== 'taken_over' && !resolved) actions.push(takeoverButton(busy));
      if (noDraft && perms.escalate && !resolved) actions.push(escalateButton(busy));
      if (perms.resolve && !resolved) {
        actions.push(button(state.busy === 'resolve' ? 'Resolving…' : 'Resolve', {
          class: 'btn btn-success', testid: 'btn-resolve', disabled: busy, onclick: resolve,
        }));
      }
    }

    return h('div', { class: 'thread-head' },
      h('div', { class: 'thread-head-row' },
        backButton(),
        h('div', { class: 'thread-title' },
          h('h2', null, conv.customer_name || 'Unknown customer'),
          h('div', { class: 'thread-sub' },
            statusPill(conv.status),
            h('span', { class: 'channel-kind' }, conv.channel_kind || 'channel'),
            conv.channel_account_id ? h('span', { class: 'muted' }, conv.channel_account_id) : null,
            conv.review_required ? h('span', { class: 'marker marker-review' }, 'review required') : null,
            assignee ? h('span', { class: 'muted' }, `assigned to ${assignee}`) : null,
            conv.opened_at ? h('span', { class: 'muted' }, 'opened ', timeEl(conv.opened_at, clockTime)) : null)),
        actions.length ? h('div', { class: 'thread-actions' }, actions) : null),
      conv.summary ? h('p', { class: 'thread-summary', testid: 'thread-summary', title: 'Summary for the thread header and handovers' }, conv.summary) : null,
      detail.profile ? renderProfile(detail.profile, readOnly) : null,
      noDraft && state.ui.escalating ? escalateForm() : null);
  }

  // The customer across the stores this member may see (the server filters).
  function renderProfile(profile, readOnly) {
    const busy = Boolean(state.busy);
    const items = [];
    profile.conversations
      .filter((c) => c.id !== state.route.convId)
      .slice(0, 5)
      .forEach((c) => items.push(h('li', { testid: 'profile-conversation' }, `${c.store_id} · ${c.status} · ${c.opened_at.slice(0, 10)}`)));
    profile.orders_seen.forEach((o) => items.push(h('li', { testid: 'profile-order' }, `order ${o.order} (${o.store_id})`)));
    profile.open_issues.forEach((c) => items.push(h('li', { testid: 'profile-open' }, `open in ${c.store_id}${c.intent ? ' · ' + c.intent : ''}`)));
    profile.pending_links.forEach((link) => items.push(h('li', { testid: 'profile-link' },
      `Same person as ${link.other_name} (${link.other_stores.join(', ')})? ${link.reason} `,
      readOnly ? null : button('Link', { class: 'btn btn-secondary', testid: 'btn-link-confirm', disabled: busy,
        onclick: () => runAction('link', () => api('POST', `/api/customer-links/${encodeURIComponent(link.id)}/confirm`, {})) }),
      readOnly ? null : button('Not the same', { class: 'btn btn-secondary', testid: 'btn-link-reject', disabled: busy,
        onclick: () => runAction('link', () => api('POST', `/api/customer-links/${encodeURIComponent(link.id)}/reject`, {})) }))));
    return h('div', { class: 'thread-profile', testid: 'thread-profile' },
      h('p', { class: 'muted' }, `Profile: ${profile.earlier_conversations} earlier conversation(s) · sentiment ${profile.sentiment_trend}`),
      items.length ? h('ul', null, items) : null);
  }

  function takeoverButton(busy) {
    return button(state.busy === 'takeover' ? 'Taking over…' : 'Take over', {
      class: 'btn btn-secondary', testid: 'btn-takeover', disabled: busy, onclick: takeOver,
      title: 'Stop drafting; you answer this customer yourself',
    });
  }

  function escalateButton(busy) {
    return button('Escalate', {
      class: 'btn btn-warning', testid: 'btn-escalate', disabled: busy,
      'aria-expanded': state.ui.escalating ? 'true' : 'false',
      onclick: () => {
        state.ui.escalating = !state.ui.escalating;
        state.ui.editing = false;
        state.ui.escalateError = '';
        rerender();
        if (state.ui.escalating) focusTestId('escalate-reason', true);
      },
    });
  }

  function escalateForm() {
    const busy = Boolean(state.busy);
    const cancel = () => {
      state.ui.escalating = false;
      state.ui.escalateReason = '';
      state.ui.escalateError = '';
      rerender();
    };
    return h('form', {
      class: 'escalate-form',
      onsubmit: (event) => { event.preventDefault(); confirmEscalate(); },
    },
    h('label', { for: 'escalate-reason', class: 'field-label' }, 'Why does this need a lead?'),
    h('div', { class: 'escalate-row' },
      h('input', {
        id: 'escalate-reason', type: 'text', class: 'input', testid: 'escalate-reason',
        value: state.ui.escalateReason, maxlength: 2000, autocomplete: 'off',
        placeholder: 'e.g. customer asks for compensation over policy',
        'aria-invalid': state.ui.escalateError ? 'true' : null,
        'aria-describedby': state.ui.escalateError ? 'escalate-error' : null,
        oninput: (event) => { state.ui.escalateReason = event.target.value; },
        onkeydown: (event) => { if (event.key === 'Escape') { event.preventDefault(); cancel(); } },
      }),
      button(state.busy === 'escalate' ? 'Escalating…' : 'Escalate', {
        type: 'submit', class: 'btn btn-warning', testid: 'btn-confirm-escalate', disabled: busy,
      }),
      button('Cancel', { class: 'btn btn-ghost', onclick: cancel, disabled: busy })),
    state.ui.escalateError ? h('p', { class: 'field-error', id: 'escalate-error', role: 'alert' }, state.ui.escalateError) : null);
  }

  // ---------------------------------------------------------------- timeline

  function renderTimeline(detail) {
    const items = [];
    (detail.messages || []).forEach((m, i) => items.push({ at: parseTime(m.created_at), order: i, type: 'message', value: m }));
    (detail.events || []).forEach((e, i) => items.push({ at: parseTime(e.at), order: 100000 + i, type: 'event', value: e }));
    items.sort((a, b) => {
      const ta = a.at ? a.at.getTime() : Infinity;
      const tb = b.at ? b.at.getTime() : Infinity;
      return ta !== tb ? ta - tb : a.order - b.order;
    });

    const timeline = h('div', { class: 'timeline', role: 'log', 'aria-label': 'Messages and activity' });
    let lastDay = null;
    for (const item of items) {
      if (item.at && (!lastDay || !sameDay(item.at, lastDay))) {
        lastDay = item.at;
        timeline.append(h('div', { class: 'day-divider' }, h('span', null, dayLabel(item.at))));
      }
      timeline.append(item.type === 'message' ? messageEl(item.value, detail) : eventEl(item.value));
    }
    if (!items.length) timeline.append(h('p', { class: 'muted center' }, 'No messages yet.'));
    return timeline;
  }

  function messageEl(m, detail) {
    const time = timeEl(m.created_at, clockTime);
    if (m.direction === 'in') {
      return h('article', { class: 'msg msg-in', testid: 'message-in', dataset: { messageId: String(m.id) } },
        h('div', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, detail.conversation.customer_name || 'Customer'), time),
        h('div', { class: 'bubble' }, m.text || ''),
        attachmentsEl(m.attachments));
    }
    if (m.direction === 'note') {
      return h('article', { class: 'msg msg-note', testid: 'message-note', dataset: { messageId: String(m.id) } },
        h('div', { class: 'msg-meta' },
          h('span', { class: 'note-label' }, 'internal note'),
          h('span', { class: 'msg-author' }, actorName(m.author_id)),
          time),
        h('div', { class: 'bubble' }, m.text || ''));
    }
    const status = m.delivery_status || null;
    return h('article', {
      class: 'msg msg-out', testid: 'message-out',
      dataset: { messageId: String(m.id), delivery: status || '' },
    },
    h('div', { class: 'msg-meta' },
      h('span', { class: 'msg-author' }, m.author_id ? actorName(m.author_id) : 'storedesk'),
      time,
      status ? h('span', { class: 'delivery', dataset: { status }, title: `Delivery: ${status}` },
        h('span', { class: 'delivery-dot', 'aria-hidden': 'true' }), DELIVERY_LABELS[status] || status) : null),
    h('div', { class: 'bubble' }, m.text || ''));
  }

  // Only web addresses become links: there is no console route serving stored files, and
  // mail parts (email:…) or downloaded media paths are kept for the record, not served.
  function attachmentLink(a) {
    const url = typeof a.url === 'string' ? a.url : '';
    return /^https?:\/\//i.test(url) ? url : null;
  }

  function attachmentsEl(list) {
    if (!Array.isArray(list) || !list.length) return null;
    return h('ul', { class: 'attachments', testid: 'attachments' }, list.map((a) => {
      const name = a.name || a.kind || a.content_type || 'attachment';
      const href = attachmentLink(a);
      const facts = [a.content_type || a.kind, typeof a.size === 'number' ? `${a.size} bytes` : null, a.skipped]
        .filter(Boolean).join(', ');
      return h('li', { class: 'attachment', testid: 'attachment' },
        href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, name) : h('span', { class: 'attachment-name' }, name),
        facts ? h('span', { class: 'muted' }, ` (${facts})`) : null);
    }));
  }

  function eventText(e) {
    const p = e.payload && typeof e.payload === 'object' ? e.payload : {};
    const by = actorName(e.actor);
    const quote = (s) => (s ? `: “${String(s)}”` : '');
    switch (e.kind) {
      case 'received': return 'message received';
      case 'triaged': {
        const bits = [p.language, p.route && `route ${p.route}`, ...(Array.isArray(p.risk_reasons) ? p.risk_reasons : [])].filter(Boolean);
        return `triaged by ${by}${bits.length ? ` · ${bits.join(' · ')}` : ''}`;
      }
      case 'drafted': return p.confident === false ? `drafted by ${by} · no confident answer` : `drafted by ${by}`;
      case 'reviewed':
        if (p.action === 'edit') return `edited and sent by ${by}`;
        if (p.action === 'approve') return `approved by ${by}`;
        return `reviewed by ${by}`;
      case 'escalated': return `escalated by ${by}${quote(p.reason)}`;
      case 'taken_over': return `taken over by ${by}`;
      case 'replied': return `replied by ${by}`;
      case 'noted': return `internal note by ${by}`;
      case 'resolved': return `resolved by ${by}`;
      case 'denied': return `${p.action ? `${String(p.action).replace(/_/g, ' ')} ` : ''}refused for ${by}${quote(p.reason)}`;
      case 'reply_queued': return `reply queued by ${by}`;
      case 'sent': return 'reply delivered to the customer';
      case 'delivery_failed': return `delivery failed${quote(p.error)}`;
      case 'delivery_retried': return `delivery retried by ${by}`;
      case 'draft_discarded': return `draft discarded${p.why ? ` (${p.why})` : ''}`;
      case 'assigned': return `assigned to ${actorName(p.after)} by ${by}${p.rule ? ` (routing rule ${p.rule})` : ''}`;
      case 'sla_reminder': {
        const what = p.clock === 'first_response' ? 'first response' : 'next response';
        return `SLA reminder: waiting ${Math.round(Number(p.waited_seconds) || 0)} s for a ${what} (target ${Math.round(Number(p.target_seconds) || 0)} s)`;
      }
      case 'sla_breached': return `SLA breached · leads alerted${Array.isArray(p.leads) && p.leads.length ? `: ${p.leads.map(actorName).join(', ')}` : ''}`;
      default: return `${String(e.kind || 'event').replace(/[._]/g, ' ')} by ${by}`;
    }
  }

  function eventEl(e) {
    return h('div', { class: 'event', dataset: { kind: String(e.kind || '') } },
      h('span', { class: 'event-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'event-text' }, eventText(e)),
      timeEl(e.at, clockTime));
  }

  // ---------------------------------------------------------------- draft card

  function renderDraftCard(detail) {
    const draft = detail.draft;
    if (!draft) return null;
    const conv = detail.conversation;
    const perms = detail.permissions || {};
    const ui = state.ui;
    const readOnly = isReadOnly(conv.store_id);
    const busy = Boolean(state.busy);
    const needsReview = draft.route === 'review' || Boolean(conv.review_required);
    // The server decides; hide what it would refuse. needs_supervisor blocks sending for non-leads.
    const maySend = !readOnly && Boolean(perms.send_reply) && !(perms.needs_supervisor && !isSupervisor(conv.store_id));
    const canApprove = maySend && draft.confident !== false;
    const canEdit = maySend;
    const canEscalate = !readOnly && Boolean(perms.escalate) && conv.status !== 'resolved';
    const canTakeOver = !readOnly && Boolean(perms.take_over) && conv.status !== 'taken_over' && conv.status !== 'resolved';

    const badges = [
      h('span', { class: 'route-badge', dataset: { route: String(draft.route || '') }, title: 'Routing decision' }, `route: ${draft.route || '—'}`),
      needsReview ? h('span', { class: 'review-badge', testid: 'needs-review-badge' }, 'needs lead review') : null,
      draft.language ? h('span', { class: 'lang-badge', title: 'Language' }, draft.language) : null,
    ];

    let body;
    if (ui.editing) {
      body = h('div', { class: 'edit-area' },
        h('label', { for: 'edit-text', class: 'field-label' }, 'Edit the reply before sending'),
        h('textarea', {
          id: 'edit-text', class: 'textarea', testid: 'edit-text', rows: 5, maxlength: 20000,
          value: ui.editText,
          placeholder: 'Write the reply to the customer…',
          oninput: (event) => { state.ui.editText = event.target.value; },
          onkeydown: (event) => {
            if (event.isComposing || event.keyCode === 229) return;
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendEdited(draft); }
            if (event.key === 'Escape') { event.preventDefault(); cancelEdit(); }
          },
        }));
    } else if (draft.confident === false) {
      body = h('div', { class: 'draft-text no-answer', testid: 'draft-text' },
        'No confident answer in the knowledge base — write a reply');
    } else {
      body = h('div', { class: 'draft-text', testid: 'draft-text' }, draft.text || '');
    }

    const risk = Array.isArray(draft.risk_reasons) && draft.risk_reasons.length
      ? h('div', { class: 'draft-section' },
        h('div', { class: 'section-label' }, 'Risk'),
        h('ul', { class: 'chip-list' }, draft.risk_reasons.map((r) => h('li', { class: 'risk-chip' }, String(r)))))
      : null;

    const citations = Array.isArray(draft.citations) && draft.citations.length
      ? h('div', { class: 'draft-section' },
        h('div', { class: 'section-label' }, 'Cited knowledge'),
        h('ul', { class: 'citation-list' }, draft.citations.map((c) => h('li', { class: 'citation' },
          h('span', { class: 'citation-title' }, c.title || 'Untitled article'),
          h('code', { class: 'citation-id' }, String(c.article_id ?? '')),
          c.version != null ? h('span', { class: 'citation-version' }, `v${c.version}`) : null,
          typeof c.score === 'number' ? h('span', { class: 'citation-score', title: 'Retrieval score' }, c.score.toFixed(2)) : null))))
      : null;

    const actions = [];
    if (ui.editing) {
      actions.push(button(state.busy === 'edit' ? 'Sending…' : 'Send edited', {
        class: 'btn btn-primary', testid: 'btn-send-edited', disabled: busy, onclick: () => sendEdited(draft),
      }));
      actions.push(button('Cancel', { class: 'btn btn-ghost', testid: 'btn-cancel-edit', disabled: busy, onclick: cancelEdit }));
      actions.push(h('span', { class: 'kbd-hint' }, `${SEND_KEY_HINT} to send`));
    } else {
      if (canApprove) {
        actions.push(button(state.busy === 'approve' ? 'Sending…' : 'Approve & send', {
          class: 'btn btn-primary', testid: 'btn-approve', disabled: busy, onclick: () => approveDraft(draft),
        }));
      }
      if (canEdit) {
        actions.push(button('Edit', {
          class: 'btn btn-secondary', testid: 'btn-edit', disabled: busy,
          onclick: () => {
            state.ui.editing = true;
            state.ui.escalating = false;
            state.ui.editText = draft.confident === false ? '' : (draft.text || '');
            rerender();
            focusTestId('edit-text', true);
          },
        }));
      }
      if (canEscalate) actions.push(escalateButton(busy));
      if (canTakeOver) actions.push(takeoverButton(busy));
      if (draft.route === 'auto' && !readOnly && Boolean(perms.escalate)) {
        actions.push(button('Cancel auto-send', {
          class: 'btn btn-ghost', testid: 'btn-cancel-auto', disabled: busy, onclick: () => cancelAutoSend(draft),
        }));
      }
    }

    let hint = null;
    if (readOnly) hint = 'Read-only: you can see this draft but not act on it.';
    else if (draft.route === 'auto') hint = 'Assist mode: this reply goes out by itself after a short hold unless someone acts or cancels.';
    else if (needsReview && !maySend) hint = 'This reply needs a lead’s approval before it can be sent. Escalate or add a note for your lead.';

    return h('section', {
      class: `draft-card${needsReview ? ' needs-review' : ''}${draft.confident === false ? ' not-confident' : ''}`,
      testid: 'draft-card',
      'aria-label': 'Pending draft reply',
      dataset: { draftId: String(draft.id), route: String(draft.route || '') },
    },
    h('header', { class: 'draft-head' },
      h('span', { class: 'draft-title' }, h('span', { class: 'bot-mark', 'aria-hidden': 'true' }, 'S'), 'Draft reply'),
      h('span', { class: 'badge-row' }, badges)),
    body,
    ui.editing && ui.notice ? h('p', { class: 'draft-notice', role: 'status' }, ui.notice) : null,
    draft.note ? h('p', { class: 'draft-note' }, draft.note) : null,
    risk,
    citations,
    actions.length ? h('div', { class: 'draft-actions' }, actions) : null,
    ui.escalating && !ui.editing ? escalateForm() : null,
    hint ? h('p', { class: 'draft-hint' }, hint) : null);
  }

  function cancelEdit() {
    state.ui.editing = false;
    state.ui.editText = '';
    state.ui.notice = '';
    rerender();
  }

  // ---------------------------------------------------------------- composer

  function clearComposer() {
    state.composerSig = null;
    byId('composer-slot').replaceChildren();
  }

  function composerPermissions() {
    const detail = state.detail;
    if (!detail) return { reply: false, note: false };
    const storeId = detail.conversation.store_id;
    const perms = detail.permissions || {};
    const readOnly = isReadOnly(storeId);
    return {
      reply: !readOnly && Boolean(perms.send_reply),
      note: !readOnly && Boolean(perms.note),
      comment: Boolean(perms.comment) && !perms.note,
      readOnly,
    };
  }

  // The composer is rebuilt only when the conversation or permissions change, so typing survives refreshes.
  function renderComposer() {
    const slot = byId('composer-slot');
    const convId = state.route.convId;
    const can = composerPermissions();
    const sig = JSON.stringify([convId, can]);
    if (sig === state.composerSig) {
      updateComposerButtons();
      return;
    }
    state.composerSig = sig;
    if (!can.reply && !can.note && can.comment) {
      // A client reads; a comment reaches the team as an internal note, never the customer.
      slot.replaceChildren(h('form', {
        class: 'composer', onsubmit: (event) => { event.preventDefault(); sendComposer('comment'); },
      },
      h('label', { for: 'composer-text', class: 'field-label' }, 'Comment for the support team (not sent to the customer)'),
      h('textarea', {
        id: 'composer-text', class: 'textarea composer-text', testid: 'composer-text', rows: 2, maxlength: 20000,
        value: state.composerText.get(convId) || '',
        oninput: (event) => { state.composerText.set(convId, event.target.value); },
      }),
      h('div', { class: 'composer-bar' },
        h('span', { class: 'composer-buttons' },
          button('Send comment to the team', { type: 'submit', class: 'btn btn-note', testid: 'btn-comment' })))));
      return;
    }
    if (!can.reply && !can.note) {
      slot.replaceChildren(can.readOnly ? h('p', { class: 'composer-readonly' }, 'Read-only access — replies and notes are disabled.') : '');
      return;
    }
    const customer = (state.detail.conversation.customer_name || 'the customer');
    const textarea = h('textarea', {
      id: 'composer-text', class: 'textarea composer-text', testid: 'composer-text', rows: 3, maxlength: 20000,
      value: state.composerText.get(convId) || '',
      placeholder: can.reply ? `Reply to ${customer}, or add an internal note…` : 'Add an internal note for the team…',
      'aria-describedby': 'composer-hint',
      oninput: (event) => { state.composerText.set(convId, event.target.value); },
      onkeydown: (event) => {
        if (event.isComposing || event.keyCode === 229) return; // IME (e.g. Chinese) is composing
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          sendComposer(can.reply ? 'reply' : 'note');
        }
      },
    });
    slot.replaceChildren(h('form', {
      class: 'composer',
      onsubmit: (event) => { event.preventDefault(); sendComposer(can.reply ? 'reply' : 'note'); },
    },
    h('label', { for: 'composer-text', class: 'visually-hidden' }, 'Message'),
    textarea,
    h('div', { class: 'composer-bar' },
      h('span', { class: 'kbd-hint', id: 'composer-hint' },
        can.reply ? `${SEND_KEY_HINT} replies to the customer` : `${SEND_KEY_HINT} adds the note`),
      h('span', { class: 'composer-buttons' },
        can.note ? button('Add internal note', { class: 'btn btn-note', testid: 'btn-note', onclick: () => sendComposer('note') }) : null,
        can.reply ? button('Reply to customer', { type: 'submit', class: 'btn btn-primary', testid: 'btn-reply' }) : null))));
    updateComposerButtons();
  }

  function updateComposerButtons() {
    const busy = Boolean(state.busy);
    const reply = document.querySelector('[data-testid="btn-reply"]');
    const note = document.querySelector('[data-testid="btn-note"]');
    if (reply) {
      reply.disabled = busy;
      reply.textContent = state.busy === 'reply' ? 'Sending…' : 'Reply to customer';
    }
    if (note) {
      note.disabled = busy;
      note.textContent = state.busy === 'note' ? 'Adding…' : 'Add internal note';
    }
  }

  // ---------------------------------------------------------------- dead letters

  function renderDeadLetters(header, body) {
    const storeId = state.route.storeId;
    const store = storeOf(storeId);
    const canRetry = !isReadOnly(storeId) && isSupervisor(storeId);
    header.replaceChildren(h('div', { class: 'thread-head' },
      h('div', { class: 'thread-head-row' },
        backButton(),
        h('div', { class: 'thread-title' },
          h('h2', null, 'Dead letters'),
          h('div', { class: 'thread-sub' }, h('span', { class: 'muted' },
            `Deliveries for ${store ? store.name : 'this store'} that failed after all retries`))),
        h('div', { class: 'thread-actions' },
          button('Refresh', { class: 'btn btn-ghost', onclick: refreshDeadLetters })))));

    if (state.deadLettersError && !state.deadLetters) {
      body.replaceChildren(emptyState('Cannot load dead letters', state.deadLettersError));
      return;
    }
    if (!state.deadLetters) {
      body.replaceChildren(h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
      return;
    }
    if (!state.deadLetters.length) {
      body.replaceChildren(emptyState('No dead letters', 'Every delivery for this store went through.'));
      return;
    }
    const scrollTop = body.scrollTop;
    body.replaceChildren(h('ul', { class: 'dead-letter-list' }, state.deadLetters.map((item) => {
      const retrying = state.busy === `retry:${item.id}`;
      return h('li', { class: 'dead-letter', dataset: { outboxId: String(item.id) } },
        h('div', { class: 'dl-top' },
          h('span', { class: 'dl-topic' }, item.topic || 'delivery'),
          item.target ? h('code', { class: 'dl-target', title: 'Target' }, String(item.target)) : null,
          h('span', { class: 'dl-attempts' }, `${item.attempts ?? 0} attempt${item.attempts === 1 ? '' : 's'}`),
          timeEl(item.updated_at, clockTime)),
        item.last_error ? h('pre', { class: 'dl-error' }, String(item.last_error)) : null,
        h('div', { class: 'dl-bottom' },
          h('code', { class: 'dl-key', title: 'Idempotency key' }, String(item.key ?? '')),
          item.conversation_id ? h('a', {
            class: 'dl-conv-link',
            href: hashFor({ storeId, convId: String(item.conversation_id) }),
          }, 'Open conversation') : null,
          canRetry ? button(retrying ? 'Retrying…' : 'Retry', {
            class: 'btn btn-primary btn-small', testid: `btn-retry-${item.id}`,
            disabled: Boolean(state.busy), onclick: () => retryDelivery(item),
          }) : h('span', { class: 'dl-note' }, 'Only a lead can retry')));
    })));
    body.scrollTop = scrollTop;
  }

  // ---------------------------------------------------------------- start

  function fatal(message) {
    byId('app').setAttribute('aria-busy', 'false');
    byId('thread-body').replaceChildren(h('div', { class: 'empty-state' },
      h('h2', null, 'The console could not start'),
      h('p', null, message),
      button('Try again', { class: 'btn btn-primary', onclick: () => window.location.reload() })));
  }

  async function init() {
    byId('btn-signout').addEventListener('click', signOut);
    window.addEventListener('hashchange', applyRoute);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && byId('toast-region').firstChild) dismissToast();
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && state.me) refreshAll();
    });

    let me;
    try {
      me = await api('GET', '/api/me');
    } catch (err) {
      if (err.status !== 401) fatal(err.message);
      return;
    }
    state.me = me;
    state.csrf = me.csrf_token || '';
    state.stores = (Array.isArray(me.stores) ? me.stores : []).map((s) => Object.assign({}, s, { id: String(s.id) }));
    state.storeById = new Map(state.stores.map((s) => [s.id, s]));
    renderMe();
    byId('app').setAttribute('aria-busy', 'false');

    applyRoute();
    for (const store of state.stores) if (!state.convs.has(store.id) && store.id !== state.route.storeId) refreshStore(store.id);

    setLive('connecting');
    connectEvents();
    setInterval(() => {
      if (!document.hidden) refreshAll();
      else renderConversationList(); // keeps relative times honest
    }, POLL_MS);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
