import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// jsdom has no object URLs; downloads need them (tests spy on these).
URL.createObjectURL = () => 'blob:test';
URL.revokeObjectURL = () => undefined;

// jsdom has no layout, so no ResizeObserver: this one reports every observed box as
// 640 x 260 px (a chart's column), so charts draw as in a browser.
globalThis.ResizeObserver = class {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    const contentRect = { width: 640, height: 260 } as DOMRectReadOnly;
    this.callback([{ target, contentRect } as ResizeObserverEntry], this);
  }
  unobserve() {}
  disconnect() {}
};

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  clearCookies();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** Expire every cookie of the test document (the fake session cookie among them). */
function clearCookies(): void {
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0]?.trim();
    if (name) document.cookie = `${name}=; Max-Age=0; path=/`;
  }
}
