// The admin console's build: ui/ → dist/ui/, served by parley at /admin/ui/ (src/http/routes/admin-ui.ts).
// Preact's JSX is compiled by Vite's own transformer (no plugin); nothing is inlined into the HTML,
// so the page runs under a CSP without 'unsafe-inline'.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // A module script, never inlined: the CSP allows scripts from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  // `npm run dev:ui`: the console with hot reload at :5173/admin/ui/, its API calls sent on to a
  // parley running on :8080 (PARLEY_URL to change it).
  server: { proxy: { '/admin/chat': process.env.PARLEY_URL ?? 'http://127.0.0.1:8080' } },
  logLevel: 'warn',
})
