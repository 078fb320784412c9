/**
 * Server-sent events read from a fetch body. EventSource cannot send the Authorization
 * header nor POST, so the drafts stream is a plain fetch and this parses its body, following
 * the HTML standard's event-stream rules: lines end in CRLF, LF or CR; a line starting with
 * `:` is a comment (keep-alives); `data` lines of one event join with newlines; a blank line
 * dispatches; an event cut off by the end of the stream is dropped.
 */

export interface SseEvent {
  /** The `event:` field; `message` when the event named none. */
  event: string;
  data: string;
  /** The last `id:` seen on the stream, if any. */
  id: string | null;
}

/** Feed it text as it arrives, in pieces cut anywhere; it returns the whole events. */
export class SseParser {
  private buffer = '';
  private started = false;
  private type = '';
  private data: string[] = [];
  private lastId: string | null = null;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = lineEnd(this.buffer, start);
      if (end === -1) break;
      // A CR as the last character may be the first half of a CRLF: wait for the next piece.
      if (this.buffer[end] === '\r' && end + 1 === this.buffer.length) break;
      const line = this.buffer.slice(start, end);
      start = this.buffer.startsWith('\r\n', end) ? end + 2 : end + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** At the end of the stream: a final CR held back by `push` ends its line after all. */
  finish(): SseEvent[] {
    if (!this.buffer.endsWith('\r')) return [];
    const line = this.buffer.slice(0, -1);
    this.buffer = '';
    const event = this.line(line);
    return event ? [event] : [];
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields: nothing to do for a fetch-based reader.
    return null;
  }

  private dispatch(): SseEvent | null {
    const event =
      this.data.length > 0
        ? { event: this.type || 'message', data: this.data.join('\n'), id: this.lastId }
        : null;
    this.type = '';
    this.data = [];
    return event;
  }
}

function lineEnd(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

/**
 * The events of a response body, as they arrive. Aborting `signal` cancels the body, and
 * the loop ends (a browser's fetch also rejects the pending read with an AbortError).
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  const cancel = () => {
    reader.cancel().catch(() => undefined);
  };
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
    yield* parser.finish();
  } finally {
    signal?.removeEventListener('abort', cancel);
    // The consumer stopped early (break, throw): the server need not keep sending.
    if (!finished) cancel();
    reader.releaseLock();
  }
}
