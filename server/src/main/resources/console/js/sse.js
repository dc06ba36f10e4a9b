// Server-sent events read with fetch() and a ReadableStream rather than EventSource: EventSource cannot send an
// Authorization header, and a token must never travel in the URL. Owning the connection also lets the tail
// resume at the next offset after a drop (the stream's ?offset=) instead of skipping what came meanwhile.
import { authorize, failure } from './api.js';

// an event larger than this without its closing blank line is not one the server sends: stop rather than grow
const MAX_PENDING_CHARS = 8 * 1024 * 1024;

/**
 * Opens `url` as an event stream and calls onEvent({ type, id, data }) for each event (type 'message' unless the
 * server named one), onOpen() once the server has accepted. Resolves when the server ends the stream; rejects with
 * an ApiError when it refuses (4xx/5xx), with the network's error when the connection breaks, and with an
 * AbortError when `signal` aborts.
 */
export async function readEvents(url, { signal, onOpen, onEvent }) {
  const { token, headers } = authorize({ Accept: 'text/event-stream' });
  const res = await fetch(url, { headers, signal, cache: 'no-store' });
  if (!res.ok) throw await failure(res, token);
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += value;
      let start = 0;
      let end;
      while ((end = pending.indexOf('\n\n', start)) >= 0) {
        const ev = parseEvent(pending.slice(start, end));
        start = end + 2;
        if (ev) onEvent(ev);
      }
      pending = pending.slice(start);
      if (pending.length > MAX_PENDING_CHARS) throw new Error('event stream: an event exceeds ' + MAX_PENDING_CHARS + ' characters');
    }
  } finally {
    reader.cancel().catch(() => { /* already closed or aborted: nothing left to release */ });
  }
}

/** One event block (lines "field: value"); null for a comment-only block such as the server's keep-alives. */
function parseEvent(block) {
  let type = 'message';
  let id = null;
  let data = null;
  for (const raw of block.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === null ? value : data + '\n' + value;
    else if (field === 'id') id = value;
    else if (field === 'event') type = value;
  }
  return data === null ? null : { type, id, data };
}
