import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

// The app lives in www/; the wasm package (pkg/, imported as `vibe-opsy`) brings the engine and model.
export default defineConfig({
  root: 'www',
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
  server: {
    proxy: { '/inference': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
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
        // App shell, the wasm engine and the model: everything needed to classify offline.
        globPatterns: ['**/*.{js,css,html,wasm,onnx,json,png,svg,webmanifest}'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/inference/, /^\/health/, /^\/metrics/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
