import { existsSync, statSync } from 'node:fs';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

// Uncompressed sizes of the engine builds and the model, by file stem: the worker's progress bar
// needs a total when the server sends them brotli-compressed.
function assetSizes(): Record<string, number> {
  const files = {
    sklesion_w8: 'pkg/model/sklesion_w8.onnx',
    vibe_opsy_bg: 'pkg/generated/vibe_opsy_bg.wasm',
    vibe_opsy_relaxed_bg: 'pkg/generated/vibe_opsy_relaxed_bg.wasm',
    vibe_opsy_threads_bg: 'pkg/generated/threads/vibe_opsy_threads_bg.wasm',
  };
  return Object.fromEntries(Object.entries(files).filter(([, f]) => existsSync(f)).map(([stem, f]) => [stem, statSync(f).size]));
}

const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The app lives in www/; the wasm package (pkg/, imported as `vibe-opsy`) brings the engine and model.
export default defineConfig({
  root: 'www',
  define: { __ASSET_SIZES__: JSON.stringify(assetSizes()) },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline the wasm or the model into JS.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  worker: { format: 'es' },
  // `new URL('./x.wasm', import.meta.url)` inside the package must survive: do not pre-bundle it.
  optimizeDeps: { exclude: ['vibe-opsy'] },
  // Cross-origin isolation (as `vibe-opsy serve` sends it): the threaded engine needs SharedArrayBuffer.
  server: {
    headers: CROSS_ORIGIN_ISOLATION,
    proxy: { '/inference': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  plugins: [
    react(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png'],
      manifest: {
        name: 'vibe-opsy — skin lesion classifier',
        short_name: 'vibe-opsy',
        description:
          'Classifies dermatoscopic photos into the seven HAM10000 classes on your device. Research and education only — not a diagnosis.',
        theme_color: '#2b2620',
        background_color: '#f3ecdc',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell only. The engine and the model are kept by the classifier worker itself
        // (www/src/worker/assetCache.ts) from the download of the first answer — one build of the
        // engine, each byte once — and the 3D chunk is cached at run time, only where it is used.
        globPatterns: ['**/*.{js,css,html,json,png,svg,webmanifest}'],
        globIgnores: ['**/MacScene-*.js'],
        runtimeCaching: [
          {
            urlPattern: /\/assets\/MacScene-[^/]*\.js$/,
            handler: 'CacheFirst',
            options: { cacheName: 'vibe-opsy-3d', expiration: { maxEntries: 2 } },
          },
        ],
        clientsClaim: true,
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/inference/, /^\/health/, /^\/metrics/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
