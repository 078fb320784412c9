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
    },
    test: {
      environment: 'jsdom',
      globals: true,
      setupFiles: ['./src/test/setup.ts'],
      restoreMocks: true,
      css: false,
      exclude: ['e2e/**', 'node_modules/**'],
    },
  };
});
