// Router: the hash holds the page and its parameters (#/topic/NAME, #/query?topic=..., #/groups/NAME), so
// every view can be bookmarked and shared, and the server only ever serves one static page.
import { api, hasToken, setToken } from './api.js';
import { clear, dialog, field, h, every } from './ui.js';
import * as overview from './overview.js';
import * as topic from './topic.js';
import * as query from './query.js';
import * as groups from './groups.js';

const view = document.getElementById('view');
let unmount = null;

function parse() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(search) };
}

function route() {
  if (unmount) { unmount(); unmount = null; }
  const { parts, params } = parse();
  const page = parts[0] || 'overview';
  document.querySelectorAll('[data-nav]').forEach((a) =>
    a.classList.toggle('active', a.dataset.nav === page || (page === 'topic' && a.dataset.nav === 'overview')));
  clear(view);
  view.dataset.page = page;
  if (page === 'overview') unmount = overview.mount(view);
  else if (page === 'topic' && parts[1]) unmount = topic.mount(view, parts[1], params);
  else if (page === 'query') unmount = query.mount(view, params);
  else if (page === 'groups') unmount = groups.mount(view, parts[1]);
  else view.append(h('p', { class: 'error' }, 'No such page: ' + location.hash), h('a', { href: '#/' }, 'Overview'));
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
// A 401 anywhere (several requests may meet it at once) opens one sign-in dialog; the token is kept for this tab
// only (api.js) and every page starts again with it.
let signingIn = false;
window.addEventListener('tierlog:auth-required', async (ev) => {
  if (signingIn) return;
  signingIn = true;
  try {
    const v = await dialog({ title: 'Sign in', submit: 'Use token',
      body: [h('p', { id: 'auth-reason' }, ev.detail && ev.detail.refused
        ? 'The server refused the token. Enter another one.'
        : 'This server asks for a token. It is kept for this tab only, never in the address.'),
      field('Token', h('input', { name: 'token', type: 'password', autocomplete: 'off', required: true }))] });
    if (v && v.token) { setToken(v.token); route(); }
  } finally {
    signingIn = false;
  }
});

const signOut = document.getElementById('sign-out');
const showSignOut = () => { signOut.hidden = !hasToken(); };
signOut.addEventListener('click', () => { setToken(null); route(); });
window.addEventListener('tierlog:token-changed', showSignOut);
showSignOut();

// the header's health dot, on every page, and at once when the token changes
const dot = document.getElementById('health');
async function checkHealth() {
  try {
    const s = await api('/v1/status');
    dot.textContent = s.status === 'ok' ? 'healthy' : 'degraded';
    dot.className = 'health ' + s.status;
    dot.title = s.problems.length ? s.problems.join('\n') : 'hot tier, S3 and ingest are fine';
  } catch (e) {
    dot.textContent = e.status === 401 ? 'needs a token' : 'unreachable';
    dot.className = 'health down';
    dot.title = String(e.message || e);
  }
}
every(5000, checkHealth);
window.addEventListener('tierlog:token-changed', checkHealth);

route();
