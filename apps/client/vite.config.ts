/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';
import { DEFAULT_API_TARGET, devProxy } from './src/devProxy';

export default defineConfig(({ mode }) => {
  // API_PROXY_TARGET (environment or apps/client/.env; see .env.example): where the dev
  // server and `vite preview` send /api/ and the probes. Not VITE_-prefixed: the bundle
  // never sees it.
  const env = loadEnv(mode, new URL('.', import.meta.url).pathname, '');
  const proxy = devProxy(env.API_PROXY_TARGET || DEFAULT_API_TARGET);
  return {
    plugins: [react()],
    server: { port: 5173, strictPort: true, proxy },
    preview: { proxy },
    build: {
      // No public source maps: nothing here uploads them to an error tracker.
      sourcemap: false,
      target: 'es2022',
      // The charts chunk (recharts, ~140 kB gzipped) is loaded only where a chart is drawn.
      chunkSizeWarningLimit: 600,
    },
    test: {
      environment: 'jsdom',
      globals: true,
      setupFiles: ['./src/test/setup.ts'],
      restoreMocks: true,
      // Charts render real SVG in jsdom: slow on a shared CI machine.
      testTimeout: 20_000,
      css: false,
      exclude: ['e2e/**', 'node_modules/**'],
    },
  };
});
