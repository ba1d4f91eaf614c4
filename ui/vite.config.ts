// Vite build of the admin dashboard: ui/src → ui/dist, served by Basalt at /_/ (src/http/routes/ui-dashboard.ts).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the page works at /_/ and behind a reverse-proxy path prefix alike.
  base: './',
  plugins: [svelte()],
  // `npm run dev:ui`: hot-reloading dashboard on :5173 talking to a Basalt on :8090 (BASALT_URL to change it).
  server: { proxy: { '/api': { target: process.env.BASALT_URL ?? 'http://127.0.0.1:8090', changeOrigin: true } } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Basalt's CSP allows no inline script; keep everything in hashed files under assets/.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
})
