import { describe, expect, it } from 'vitest';
import { partialReply } from './partialReply';

const ANSWER = JSON.stringify({
  category: 'billing',
  cited_articles: [{ slug: 'refunds', title: 'Refunds {and} "returns"' }],
  reply: 'Hello Ada,\n\nWe refunded "the order" — sorry! 😀 \\o/',
  confidence_note: 'sure',
});

describe('partialReply', () => {
  it('is null before the reply starts', () => {
    expect(partialReply('')).toBeNull();
    expect(partialReply('{"category": "billing", "rep')).toBeNull();
    expect(partialReply('{"reply"')).toBeNull();
    expect(partialReply('{"reply": ')).toBeNull();
  });

  it('grows with every prefix of the answer and never shows raw JSON', () => {
    const full = 'Hello Ada,\n\nWe refunded "the order" — sorry! 😀 \\o/';
    let previous = '';
    for (let end = 1; end <= ANSWER.length; end += 1) {
      const reply = partialReply(ANSWER.slice(0, end));
      if (reply === null) continue;
      expect(full.startsWith(reply)).toBe(true);
      expect(reply.length).toBeGreaterThanOrEqual(previous.length);
      previous = reply;
    }
    expect(previous).toBe(full);
  });

  it('holds back a half-received escape', () => {
    expect(partialReply('{"reply": "a\\')).toBe('a');
    expect(partialReply('{"reply": "a\\u00')).toBe('a');
    expect(partialReply('{"reply": "a\\u00e9')).toBe('aé');
    expect(partialReply('{"reply": "a\\ud83d')).toBe('a');
    expect(partialReply('{"reply": "a\\ud83d\\ude00')).toBe('a😀');
  });

  it('ignores "reply" inside another value or a nested object', () => {
    expect(partialReply('{"note": "the \\"reply\\": \\"x\\"", "reply": "real')).toBe('real');
    expect(partialReply('{"meta": {"reply": "nested"}, "reply": "top')).toBe('top');
    expect(partialReply('{"meta": {"reply": "nested"')).toBeNull();
    expect(
      partialReply('{"list": ["reply", {"reply": 1}], "n": 3, "ok": true, "reply": "z"}'),
    ).toBe('z');
  });

  it('skips text around the object (a code fence) and a reply that is not a string', () => {
    expect(partialReply('```json\n{"reply": "fenced')).toBe('fenced');
    expect(partialReply('{"reply": null, "category": "x"}')).toBeNull();
    expect(partialReply('not json at all')).toBeNull();
  });
});
