import type { Json } from '../../api/drafts';
import { percent } from '../../lib/format';

const MAX = 120;
const NAME_FIELDS = ['title', 'label', 'name', 'slug', 'id'] as const;

function clip(text: string, max = MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a person calls an item of a tool's result: its title, label, name... */
function nameOf(value: Json): string | null {
  if (!isObject(value)) return typeof value === 'string' ? value : null;
  for (const field of NAME_FIELDS) {
    const name = value[field];
    if (typeof name === 'string') return name;
  }
  return null;
}

/**
 * A tool's result in one short line: "3 items: Refunds, Billing FAQ, ...", "billing
 * (93.0 %)", or the compact JSON cut to a line. Any JSON is accepted (tools differ).
 */
export function summarize(result: Json): string {
  if (result === null) return 'no result';
  if (Array.isArray(result)) {
    const head = `${result.length} item${result.length === 1 ? '' : 's'}`;
    const names = result.map(nameOf).filter((name): name is string => name !== null);
    return clip(names.length > 0 ? `${head}: ${names.join(', ')}` : head);
  }
  if (isObject(result)) {
    // A list wrapped in an object ({"items": [...]}): the list is the result.
    const lists = Object.values(result).filter(Array.isArray);
    const [list] = lists;
    if (lists.length === 1 && list) return summarize(list);
    const label = nameOf(result);
    const confidence = result.confidence;
    if (label !== null && typeof confidence === 'number') {
      return clip(`${label} (${percent(confidence)})`);
    }
    return clip(label ?? JSON.stringify(result));
  }
  return clip(String(result));
}
