import { describe, expect, it } from 'vitest';
import { SseParser, readSse, type SseEvent } from './sse';

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.finish()];
}

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(stream: AsyncIterable<SseEvent>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const STREAM = 'event: token\ndata: {"text": "Hel"}\n\nevent: done\ndata: {"id": "d-1"}\n\n';

describe('SseParser', () => {
  it('reads named events with one-line JSON data', () => {
    expect(parseAll([STREAM])).toEqual([
      { event: 'token', data: '{"text": "Hel"}', id: null },
      { event: 'done', data: '{"id": "d-1"}', id: null },
    ]);
  });

  it('gives the same events however the text is cut into chunks', () => {
    const whole = parseAll([STREAM]);
    for (let size = 1; size <= 7; size += 1) {
      const chunks = STREAM.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      expect(parseAll(chunks)).toEqual(whole);
    }
  });

  it('joins the data lines of one event with newlines', () => {
    expect(parseAll(['data: first\ndata:second\ndata\n\n'])).toEqual([
      { event: 'message', data: 'first\nsecond\n', id: null },
    ]);
  });

  it('skips comments (keep-alives) and events without data', () => {
    const events = parseAll([': ping\n\n', ':\n', 'event: nothing\n\n', 'event: a\ndata: 1\n\n']);
    expect(events).toEqual([{ event: 'a', data: '1', id: null }]);
  });

  it('accepts CRLF and CR line ends, a CRLF cut between two chunks included', () => {
    expect(parseAll(['event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: '1', id: null },
      { event: 'b', data: '2', id: null },
    ]);
  });

  it('keeps only the first space after the colon, and a leading byte order mark out', () => {
    expect(parseAll(['\uFEFFdata:  two spaces\n\n'])).toEqual([
      { event: 'message', data: ' two spaces', id: null },
    ]);
  });

  it('remembers the last id and ignores retry and unknown fields', () => {
    expect(parseAll(['id: 7\nretry: 100\nfoo: bar\ndata: x\n\ndata: y\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  it('drops an event the stream cut off before its blank line', () => {
    expect(parseAll(['event: done\ndata: {"id": "d-1"'])).toEqual([]);
    expect(parseAll(['data: a\n\ndata: b\n'])).toEqual([{ event: 'message', data: 'a', id: null }]);
  });
});

describe('readSse', () => {
  it('decodes a byte stream, a multi-byte character split between chunks included', async () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 10));
        controller.enqueue(bytes.slice(10, 13));
        controller.enqueue(bytes.slice(13));
        controller.close();
      },
    });
    expect(await collect(readSse(body))).toEqual([{ event: 'message', data: 'café ☕', id: null }]);
  });

  it('yields events as their chunks arrive', async () => {
    expect(
      (await collect(readSse(bodyOf(STREAM.split('\n\n').map((e) => `${e}\n\n`))))).map(
        (e) => e.event,
      ),
    ).toEqual(['token', 'done']);
  });

  it('ends and cancels the body when the signal aborts', async () => {
    let cancelled = false;
    let push: (text: string) => void = () => undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => {
          controller.enqueue(new TextEncoder().encode(text));
        };
      },
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of readSse(body, controller.signal)) {
        seen.push(event.data);
        controller.abort();
      }
    })();
    push('data: one\n\n');
    await done;
    expect(seen).toEqual(['one']);
    expect(cancelled).toBe(true);
  });
});
