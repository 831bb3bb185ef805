/* Storedesk customer web chat: vanilla JS, no build step.
 * Message text is always rendered with textContent. */
'use strict';

(function () {
  const POLL_MS = 10000;
  const DEBOUNCE_MS = 150;
  const AUTO_RETRIES = 3;
  const SENT_TTL_MS = 10 * 60 * 1000; // forget confirmed-but-never-listed messages after this

  // ---------------------------------------------------------------- setup

  const body = document.body;
  const storeId = resolveStoreId();
  const storeName = placeholderFree(body.dataset.storeName) || 'Chat';
  const base = `/chat/${encodeURIComponent(storeId)}`;
  const NAME_KEY = 'storedesk.chat.name';
  const PENDING_KEY = `storedesk.chat.pending.${storeId}`;

  const els = {
    list: document.getElementById('message-list'),
    scroller: document.getElementById('messages'),
    form: document.getElementById('composer'),
    nameRow: document.getElementById('name-row'),
    name: document.getElementById('chat-name'),
    text: document.getElementById('chat-text'),
    status: document.getElementById('chat-status'),
    statusText: document.getElementById('chat-status-text'),
    avatar: document.getElementById('store-avatar'),
    storeName: document.getElementById('store-name'),
  };

  function placeholderFree(value) {
    return value && !value.includes('{{') ? value : '';
  }

  // The backend fills data-store-id; fall back to the URL (/chat/<store>) if it did not.
  function resolveStoreId() {
    const fromPage = placeholderFree(document.body.dataset.storeId);
    if (fromPage) return fromPage;
    const match = window.location.pathname.match(/^\/chat\/([^/]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  const storage = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (err) { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (err) { /* private mode: keep going */ }
    },
  };

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value == null || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'testid') el.setAttribute('data-testid', value);
        else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child == null || child === false || child === '') continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const normalize = (s) => String(s || '').trim().normalize('NFC');

  // ---------------------------------------------------------------- time

  function parseTime(value) {
    if (!value) return null;
    let s = String(value).trim().replace(' ', 'T');
    if (!/(Z|[+-]\d\d:?\d\d)$/i.test(s)) s += 'Z';
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function formatTime(d) {
    if (!d) return '';
    const now = new Date();
    const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    const sameDay = d.toDateString() === now.toDateString();
    return sameDay ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
  }

  // ---------------------------------------------------------------- state
  // server: what GET /messages returned. local: messages this browser sent that the server
  // list does not show yet (optimistic), persisted so a reload retries them with the same id.

  const state = {
    server: [],
    loaded: false,
    local: loadPending(),
    renderedSig: '',
  };

  function loadPending() {
    let items = [];
    try { items = JSON.parse(storage.get(PENDING_KEY) || '[]'); } catch (err) { items = []; }
    if (!Array.isArray(items)) return [];
    const now = Date.now();
    return items
      .filter((m) => m && m.cid && typeof m.text === 'string')
      .filter((m) => m.status !== 'sent' || now - (m.sentAt || 0) < SENT_TTL_MS)
      .map((m) => Object.assign(m, { inFlight: false }));
  }

  function savePending() {
    const keep = state.local.map(({ cid, text, name, createdAt, status, messageId, error, knownIds, sentAt }) =>
      ({ cid, text, name, createdAt, status, messageId, error, knownIds, sentAt }));
    storage.set(PENDING_KEY, JSON.stringify(keep));
  }

  /** Drop local messages the server now lists: by returned id, else by identical new text. */
  function reconcile() {
    const serverIds = new Set(state.server.map((m) => String(m.id)));
    const claimed = new Set();
    const remaining = [];
    for (const local of state.local) {
      if (local.messageId != null && serverIds.has(String(local.messageId))) claimed.add(String(local.messageId));
      else remaining.push(local);
    }
    const still = [];
    for (const local of remaining) {
      const known = new Set(local.knownIds || []);
      const match = state.server.find((m) => m.direction === 'in'
        && !claimed.has(String(m.id)) && !known.has(String(m.id))
        && normalize(m.text) === normalize(local.text));
      if (match) claimed.add(String(match.id));
      else still.push(local);
    }
    if (still.length !== state.local.length) {
      state.local = still;
      savePending();
    }
  }

  // ---------------------------------------------------------------- rendering

  function render(forceScroll) {
    reconcile();
    const sig = JSON.stringify([state.server, state.local.map((m) => [m.cid, m.status, m.error]), state.loaded]);
    updateNameRow();
    if (sig === state.renderedSig && !forceScroll) return;
    state.renderedSig = sig;

    const scroller = els.scroller;
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    const items = [];

    if (state.loaded && !state.server.length && !state.local.length) items.push(welcome());

    const server = state.server.slice().sort((a, b) => {
      const ta = (parseTime(a.created_at) || 0).valueOf();
      const tb = (parseTime(b.created_at) || 0).valueOf();
      return ta - tb;
    });
    for (const m of server) items.push(messageEl({
      mine: m.direction === 'in', text: m.text, time: parseTime(m.created_at), id: m.id,
    }));
    for (const local of state.local) items.push(messageEl({
      mine: true, text: local.text, time: parseTime(local.createdAt), local,
    }));

    els.list.replaceChildren(...items);
    if (forceScroll || nearBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function welcome() {
    return h('li', { class: 'row row-out welcome' },
      avatarEl(),
      h('div', { class: 'stack' },
        h('div', { class: 'bubble' }, `Hi! Welcome to ${storeName}. Ask us anything about your order, shipping or returns — we'll reply right here.`)));
  }

  function avatarEl() {
    return h('div', { class: 'avatar', 'aria-hidden': 'true' }, initial(storeName));
  }

  function initial(name) {
    return (Array.from(String(name).trim())[0] || '?').toUpperCase();
  }

  function messageEl({ mine, text, time, local, id }) {
    let meta;
    if (local && local.status === 'failed') {
      meta = h('span', { class: 'meta failed', role: 'alert' },
        h('span', null, local.error ? `Not sent: ${local.error}` : 'Not sent'),
        h('button', {
          type: 'button', class: 'retry', testid: 'chat-retry',
          onclick: () => post(local),
        }, 'Retry'));
    } else if (local) {
      meta = h('span', { class: 'meta' }, local.status === 'sent' ? `Sent · ${formatTime(time)}` : 'Sending…');
    } else {
      meta = h('span', { class: 'meta' }, time ? h('time', { datetime: time.toISOString(), title: time.toLocaleString() }, formatTime(time)) : '');
    }
    return h('li', {
      class: `row ${mine ? 'row-in' : 'row-out'}${local ? ` is-${local.status}` : ''}`,
      'data-message-id': id != null ? String(id) : null,
      'data-client-id': local ? local.cid : null,
    },
    mine ? null : avatarEl(),
    h('div', { class: 'stack' },
      h('div', { class: 'bubble', testid: mine ? 'chat-message-in' : 'chat-message-out' }, text || ''),
      meta));
  }

  function hasSentBefore() {
    return state.local.length > 0 || state.server.some((m) => m.direction === 'in');
  }

  function updateNameRow() {
    const hide = hasSentBefore();
    if (els.nameRow.hidden !== hide) els.nameRow.hidden = hide;
  }

  let statusMode = 'ok';
  function setStatus(mode) {
    if (mode === statusMode) return;
    statusMode = mode;
    els.status.dataset.state = mode;
    els.statusText.textContent = {
      ok: 'We usually reply within a few minutes',
      offline: 'Connection lost — retrying…',
    }[mode] || '';
  }

  // ---------------------------------------------------------------- network

  let fetchSeq = 0;
  async function fetchMessages() {
    const seq = ++fetchSeq;
    try {
      const response = await fetch(`${base}/messages`, {
        headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (seq !== fetchSeq) return;
      state.server = Array.isArray(data.messages) ? data.messages : [];
      state.loaded = true;
      setStatus('ok');
      render(false);
    } catch (err) {
      if (seq !== fetchSeq) return;
      setStatus('offline');
      if (!state.loaded) {
        state.loaded = true;
        render(false);
      }
    }
  }

  let fetchTimer = null;
  function scheduleFetch() {
    clearTimeout(fetchTimer);
    fetchTimer = setTimeout(fetchMessages, DEBOUNCE_MS);
  }

  /** POST one message; retries reuse its client_message_id so the server can deduplicate. */
  async function post(local) {
    if (local.inFlight) return;
    local.inFlight = true;
    local.status = 'sending';
    local.error = '';
    savePending();
    render(false);
    for (let attempt = 0; ; attempt += 1) {
      let response = null;
      let data = null;
      try {
        response = await fetch(`${base}/messages`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ client_message_id: local.cid, name: local.name, text: local.text }),
        });
        data = await response.json().catch(() => null);
      } catch (err) {
        response = null;
      }
      if (response && response.ok) {
        local.status = 'sent';
        local.sentAt = Date.now();
        if (data && data.message_id != null) local.messageId = data.message_id;
        break;
      }
      const transient = !response || response.status >= 500 || response.status === 429 || response.status === 408;
      if (!transient || attempt + 1 >= AUTO_RETRIES) {
        local.status = 'failed';
        local.error = (data && typeof data.error === 'string' && data.error)
          || (response ? `error ${response.status}` : 'no connection');
        break;
      }
      await sleep(800 * 2 ** attempt);
    }
    local.inFlight = false;
    if (state.local.includes(local)) savePending();
    render(false);
    if (local.status === 'sent') scheduleFetch();
  }

  function send() {
    const text = els.text.value.trim();
    if (!text) {
      els.text.focus();
      return;
    }
    const name = els.name.value.trim() || storage.get(NAME_KEY) || '';
    if (els.name.value.trim()) storage.set(NAME_KEY, els.name.value.trim());
    const local = {
      cid: uuid(),
      text,
      name,
      createdAt: new Date().toISOString(),
      status: 'sending',
      // Server messages already listed cannot be this one (used when matching by text).
      knownIds: state.server.map((m) => String(m.id)),
    };
    state.local.push(local);
    savePending();
    els.text.value = '';
    autoGrow();
    render(true);
    els.text.focus();
    post(local);
  }

  // ---------------------------------------------------------------- live updates

  let source = null;
  let reconnectDelay = 1000;
  let reconnectTimer = null;
  let everOpened = false;

  function connectEvents() {
    clearTimeout(reconnectTimer);
    if (source) source.close();
    try {
      source = new EventSource(`${base}/events`);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    source.addEventListener('open', () => {
      reconnectDelay = 1000;
      if (everOpened) scheduleFetch(); // catch up on anything missed while disconnected
      everOpened = true;
    });
    source.addEventListener('changed', scheduleFetch);
    source.onmessage = scheduleFetch;
    source.addEventListener('error', () => {
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

  // ---------------------------------------------------------------- input

  function autoGrow() {
    const t = els.text;
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
  }

  function init() {
    els.storeName.textContent = storeName;
    els.avatar.textContent = initial(storeName);
    if (!placeholderFree(body.dataset.storeName)) document.title = 'Chat';
    els.name.value = storage.get(NAME_KEY) || '';

    els.form.addEventListener('submit', (event) => {
      event.preventDefault();
      send();
    });
    els.text.addEventListener('keydown', (event) => {
      // Enter sends; Shift+Enter is a new line; never send while an IME (e.g. pinyin) is composing.
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      send();
    });
    els.text.addEventListener('input', autoGrow);
    els.name.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        els.text.focus();
      }
    });
    els.name.addEventListener('change', () => {
      if (els.name.value.trim()) storage.set(NAME_KEY, els.name.value.trim());
    });
    window.addEventListener('online', () => {
      fetchMessages();
      for (const local of state.local) if (local.status === 'failed') post(local);
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) fetchMessages(); });

    render(true);
    fetchMessages().then(() => render(true));
    // Messages interrupted by a reload are re-sent with their original client_message_id.
    for (const local of state.local) if (local.status === 'sending') post(local);
    connectEvents();
    setInterval(() => { if (!document.hidden) fetchMessages(); }, POLL_MS);
    if (!hasSentBefore() && !els.name.value) els.name.focus();
    else els.text.focus();
  }

  if (!storeId) {
    document.getElementById('message-list').replaceChildren(
      h('li', { class: 'row row-out' }, h('div', { class: 'bubble' }, 'This chat is not available.')));
    return;
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
