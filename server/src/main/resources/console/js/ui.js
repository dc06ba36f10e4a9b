// Small DOM helpers: no framework, just elements, formatting and a few shared widgets.

/** h('div', {class: 'x', onclick: fn}, child, ...): an element; strings become text nodes (never HTML). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const nf = new Intl.NumberFormat('en-US');
export const fmtNum = (n) => (n === null || n === undefined ? '–' : nf.format(n));

export function fmtBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  const d = new Date(ms);
  const pad = (x, n = 2) => String(x).padStart(n, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function fmtDuration(ms) {
  if (ms < 1000) return ms + ' ms';
  const s = Math.round(ms / 1000);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return Math.round(s / 3600) + ' h';
}

/** A short message at the corner; kind is 'ok' or 'error'. */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 3000);
}

/** An inline error line for a failed request. */
export const errorLine = (e) => h('p', { class: 'error', role: 'alert' }, String(e.message || e));

/**
 * A modal dialog; resolves to the form's values when submitted, or null when cancelled. `body` holds the
 * inputs (named); `confirmWord`, when given, must be typed before the submit button enables (destructive actions).
 */
export function dialog({ title, body, submit = 'OK', danger = false, confirmWord = null }) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog', class: 'dialog-form' });
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', disabled: !!confirmWord }, submit);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    let typed = null;
    if (confirmWord) {
      typed = h('input', { name: '__confirm', autocomplete: 'off', 'aria-label': 'type ' + confirmWord + ' to confirm',
        oninput: () => { ok.disabled = typed.value !== confirmWord; } });
    }
    form.append(h('h2', {}, title), ...(Array.isArray(body) ? body : [body]),
      confirmWord ? h('label', {}, 'Type ', h('code', {}, confirmWord), ' to confirm', typed) : null,
      h('div', { class: 'actions' }, cancel, ok));
    const dlg = h('dialog', { class: 'modal' }, form);
    let result = null;
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (ok.disabled) return;
      result = Object.fromEntries(new FormData(form).entries());
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    (typed || form.querySelector('input,select,textarea'))?.focus();
  });
}

/** A labelled input for dialogs and forms. */
export const field = (label, input) => h('label', { class: 'field' }, h('span', {}, label), input);

/** Repeats fn every ms while the page is visible; returns a stop function. */
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try { await fn(); } catch (e) { /* each page shows its own errors */ }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
