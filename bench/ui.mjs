// Web app timings in headless Chromium, side by side in one run: the 3D interface (SwiftShader WebGL)
// vs the 2D layout (WebGL disabled). Time to an interactive drop zone, to the 3D screen, and to the
// first classification result; plus chunk sizes. Needs www/dist and the native binary built.
//   node bench/ui.mjs [ROUNDS]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { ROOT, REFERENCE, CHROMIUM_ARGS } from '../tests/node/helpers.mjs';
import { startServer } from '../tests/e2e/server.mjs';

const rounds = Number(process.argv[2] ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Same browser and flags for both; the second turns 3D off in Settings (what a user can do).
const SWIFTSHADER = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const modes = { '3D on (SwiftShader WebGL)': true, '3D off (same browser)': false };
const image = readFileSync(join(REFERENCE, 'images/lesion_7_2.png')).toString('base64');
const server = await startServer();
const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  for (const [mode, scene3d] of Object.entries(modes)) {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: SWIFTSHADER });
    const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    await page.addInitScript((on) => localStorage.setItem('vibe-opsy.settings', JSON.stringify({ scene3d: on })), scene3d);
    await page.goto(server.url);
    await page.locator('[data-testid=dropzone]').first().waitFor();
    const interactive = await page.evaluate(() => performance.now());
    let sceneReady = null;
    if (scene3d) {
      await page.locator('[data-testid=ui-3d]').waitFor({ timeout: 60_000 });
      sceneReady = await page.evaluate(() => performance.now());
    }
    const dropAt = await page.evaluate((b64) => {
      const t = performance.now();
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'x.png', { type: 'image/png' }));
      const target = document.querySelector('[data-testid=dropzone]');
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      return t;
    }, image);
    await page.locator('[data-testid=result]').waitFor({ timeout: 120_000 });
    const resultAt = await page.evaluate(() => performance.now());
    results[mode].push({ interactive, scene3d: sceneReady, firstResult: resultAt - dropAt });
    console.error(mode, interactive, sceneReady, resultAt - dropAt);
    await browser.close();
  }
}
server.stop();

const assets = join(ROOT, 'www/dist/assets');
const size = (pattern) => {
  const files = readdirSync(assets).filter((f) => pattern.test(f));
  const bufs = files.map((f) => readFileSync(join(assets, f)));
  return { raw: bufs.reduce((n, b) => n + b.length, 0), gzip: bufs.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
};
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log('| | drop zone interactive | 3D screen ready | first result after drop (cold: wasm + model load + inference) |');
console.log('|---|---|---|---|');
for (const [mode, rs] of Object.entries(results)) {
  const s3 = rs[0].scene3d === null ? '—' : `${median(rs.map((x) => x.scene3d)).toFixed(0)} ms`;
  console.log(`| ${mode} | ${median(rs.map((x) => x.interactive)).toFixed(0)} ms | ${s3} | ${median(rs.map((x) => x.firstResult)).toFixed(0)} ms |`);
}
const scene = size(/^MacScene-.*\.js$/);
const main = size(/^index-.*\.js$/);
const worker = size(/^classifier\.worker-.*\.js$/);
console.log(`\n3D chunk (MacScene-*.js: three.js, react-three-fiber, drei, framer-motion): ${kb(scene.raw)} raw, ${kb(scene.gzip)} gzip`);
console.log(`main chunk (React app): ${kb(main.raw)} raw, ${kb(main.gzip)} gzip; worker: ${kb(worker.raw)} raw, ${kb(worker.gzip)} gzip`);
console.log(`(${rounds} rounds, medians, times from navigation start)`);
