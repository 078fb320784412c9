/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { DEV_PROXY } from './src/devProxy';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    // /api/ and the probes go to the API started by `make dev` (see src/devProxy.ts).
    proxy: { ...DEV_PROXY },
  },
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
  },
});
