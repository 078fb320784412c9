/**
 * The `reply` of the drafting model's answer while it is still being written. The model
 * answers with a JSON object (`{"reply": "...", "category": ..., ...}`) that arrives in
 * pieces, so `JSON.parse` fails until the end; this scans the text so far and returns the
 * reply string decoded as far as it goes, or null when there is none yet (or it is not a
 * string). It never returns raw JSON: a half-received escape is held back, a key named
 * `reply` inside another value or a nested object is not the reply.
 */
export function partialReply(text: string): string | null {
  let i = text.indexOf('{');
  if (i === -1) return null;
  i += 1;
  // At depth 1, what the object expects next.
  let expect: 'key' | 'colon' | 'value' | 'comma' = 'key';
  let key = '';
  let depth = 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (depth > 1) {
      // Inside another member's value: skip it, strings whole (they may hold brackets).
      if (c === '"') {
        const skipped = readString(text, i);
        if (!skipped.complete) return null;
        i = skipped.end;
        continue;
      }
      if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') depth -= 1;
      if (depth === 1) expect = 'comma';
      i += 1;
      continue;
    }
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (expect === 'key') {
      if (c !== '"') return null;
      const name = readString(text, i);
      if (!name.complete) return null;
      key = name.value;
      expect = 'colon';
      i = name.end;
    } else if (expect === 'colon') {
      if (c !== ':') return null;
      expect = 'value';
      i += 1;
    } else if (expect === 'value') {
      if (c === '"') {
        const value = readString(text, i);
        if (key === 'reply') return value.value;
        if (!value.complete) return null;
        expect = 'comma';
        i = value.end;
      } else if (key === 'reply') {
        return null;
      } else if (c === '{' || c === '[') {
        depth += 1;
        i += 1;
      } else {
        // A number, true, false or null: runs to the next comma or brace.
        while (i < text.length && !/[,}\s]/.test(text.charAt(i))) i += 1;
        expect = 'comma';
      }
    } else {
      if (c !== ',') return null;
      expect = 'key';
      i += 1;
    }
  }
  return null;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

interface ScannedString {
  value: string;
  /** Index after the closing quote. */
  end: number;
  complete: boolean;
}

/** The JSON string starting at the quote at `start`, decoded up to where the text stops. */
function readString(text: string, start: number): ScannedString {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '"') return { value, end: i + 1, complete: true };
    if (c !== '\\') {
      value += c;
      i += 1;
      continue;
    }
    const escape = text.charAt(i + 1);
    if (escape === '') break;
    if (escape === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (hex.length < 4) break;
      if (/^[0-9a-fA-F]{4}$/.test(hex)) value += String.fromCharCode(parseInt(hex, 16));
      i += 6;
      continue;
    }
    value += ESCAPES[escape] ?? escape;
    i += 2;
  }
  return { value: withoutLoneHighSurrogate(value), end: i, complete: false };
}

/** Half of an escaped surrogate pair (an emoji) is held back until its other half. */
function withoutLoneHighSurrogate(value: string): string {
  const last = value.charCodeAt(value.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? value.slice(0, -1) : value;
}
