// The 3D Macintosh (WebGL through SwiftShader) and its 2D fallback (WebGL disabled), in headless
// Debian Chromium: both classify a dropped image; screenshots of both are saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, REFERENCE, CHROMIUM_ARGS, nativePredictions } from '../node/helpers.mjs';
import { startServer } from './server.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const IMAGE = 'lesion_7_5.png';
const WITHOUT_GPU_FLAG = CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu');
let server;
let native;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  native = nativePredictions([IMAGE])[IMAGE];
  server = await startServer();
});

after(() => server?.stop());

async function dropOn(page, selector) {
  const bytes = readFileSync(join(REFERENCE, 'images', IMAGE)).toString('base64');
  await page.evaluate(
    ({ selector, b64 }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'lesion.png', { type: 'image/png' }));
      const target = document.querySelector(selector);
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    },
    { selector, b64: bytes },
  );
}

async function assertResult(page, container) {
  const result = page.locator(`${container} [data-testid=result]`);
  await result.waitFor({ timeout: 120_000 });
  assert.equal(await page.locator(`${container} [data-testid=result-class]`).textContent(), native.class);
  assert.equal(
    await page.locator(`${container} [data-testid=result-confidence]`).textContent(),
    `${(native.confidence * 100).toFixed(1)}%`,
  );
}

test('3D Macintosh (SwiftShader WebGL): drop on the screen, get the result on the screen', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...WITHOUT_GPU_FLAG, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    // The 2D UI is usable first; the 3D chunk then takes over.
    await page.locator('[data-testid=dropzone]').first().waitFor();
    await page.locator('[data-testid=ui-3d] [data-testid=dropzone]').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('canvas').count(), 1);
    await page.waitForTimeout(1600); // let the boot animation finish for the screenshot
    await dropOn(page, '[data-testid=ui-3d] [data-testid=dropzone]');
    await assertResult(page, '[data-testid=ui-3d]');
    await page.screenshot({ path: join(ARTIFACTS, 'scene-3d.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('WebGL disabled: the 2D layout is used and classifies', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--disable-webgl', '--disable-3d-apis'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    await page.goto(server.url);
    // The 2D layout is shown at once; the 3D decision follows when the page is idle.
    const flat = page.locator('[data-testid=ui-2d][data-reason="WebGL is unavailable"]');
    await flat.waitFor();
    await dropOn(page, '[data-testid=ui-2d] [data-testid=dropzone]');
    await assertResult(page, '[data-testid=ui-2d]');
    assert.equal(await page.locator('canvas').count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, 'scene-2d-fallback.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('turning 3D off in Settings switches to the 2D layout', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...WITHOUT_GPU_FLAG, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
    await page.addInitScript(() => localStorage.setItem('vibe-opsy.settings', JSON.stringify({ scene3d: false })));
    await page.goto(server.url);
    await page.locator('[data-testid=ui-2d][data-reason="3D is turned off in Settings"]').waitFor();
    assert.equal(await page.locator('canvas').count(), 0);
  } finally {
    await browser.close();
  }
});
