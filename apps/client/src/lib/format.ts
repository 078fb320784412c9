export function percent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)} %`;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
