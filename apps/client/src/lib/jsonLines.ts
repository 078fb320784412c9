import type { JobCreate } from '../api/types';

export class JsonLinesError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'JsonLinesError';
  }
}

const MAX_LISTED = 10;

/**
 * Parse job items typed as JSON lines: one `{"text": "...", "id": "..."}` per line,
 * blank lines skipped. Throws JsonLinesError naming each bad line (the first ten).
 */
export function parseJobLines(input: string): JobCreate {
  const items: JobCreate['items'] = [];
  const problems: string[] = [];
  input.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const where = `Line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${where}: not valid JSON.`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${where}: expected an object like {"text": "..."}.`);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.text !== 'string' || !record.text.trim()) {
      problems.push(`${where}: "text" must be a non-empty string.`);
      return;
    }
    const id = record.id;
    if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
      problems.push(`${where}: "id" must be a string or a number.`);
      return;
    }
    items.push({ text: record.text, id: id === undefined ? null : String(id) });
  });
  if (problems.length > 0) {
    const extra = problems.length - MAX_LISTED;
    throw new JsonLinesError([
      ...problems.slice(0, MAX_LISTED),
      ...(extra > 0 ? [`…and ${extra} more.`] : []),
    ]);
  }
  if (items.length === 0) throw new JsonLinesError(['Enter at least one line.']);
  return { items };
}
