// The 3D Macintosh (WebGL through SwiftShader) and its 2D fallback (WebGL disabled), in headless
// Debian Chromium: both classify a dropped image; screenshots of both are saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import jpeg from 'jpeg-js';
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

/** Pixels of the canvas's outermost `band` px that differ from the page background (the Mac touching an edge). */
async function edgePixelsOffBackground(page, band = 3) {
  const box = await page.locator('[data-testid=mac-stage] canvas').boundingBox();
  const shot = await page.screenshot({ type: 'jpeg', quality: 100, clip: box });
  const { width, height, data } = jpeg.decode(shot, { useTArray: true });
  const background = [0xf3, 0xec, 0xdc];
  let off = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x >= band && y >= band && x < width - band && y < height - band) continue;
      const i = (y * width + x) * 4;
      if (background.some((c, k) => Math.abs(data[i + k] - c) > 24)) off++;
    }
  }
  return off;
}

// The Mac a person recognises: the whole case, keyboard and mouse in frame at common window sizes,
// with a result read on its screen without scrolling inside it.
test('3D Macintosh at 1280×800, 1440×900 and 1920×1080: the whole Mac in frame, the answer on its screen without scrolling', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...WITHOUT_GPU_FLAG, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  try {
    for (const [width, height] of [
      [1280, 800],
      [1440, 900],
      [1920, 1080],
    ]) {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(server.url);
      await page.locator('[data-testid=ui-3d] [data-testid=dropzone]').waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1600); // the boot animation
      await dropOn(page, '[data-testid=ui-3d] [data-testid=dropzone]');
      await assertResult(page, '[data-testid=ui-3d]');
      await page.locator('[data-testid=crt] .screen-headline').waitFor();
      await page.mouse.move(width / 2, height / 2); // settle the sway toward the pointer
      // The "ready to work offline" banner floats over the page's bottom edge: out of the way, so the
      // canvas's edge shows the scene alone.
      await page.addStyleTag({ content: '.banner { display: none !important; }' });
      await page.waitForTimeout(800);
      const size = `${width}x${height}`;
      await page.screenshot({ path: join(ARTIFACTS, `mac-${size}.png`) });
      const canvas = await page.locator('[data-testid=mac-stage] canvas').boundingBox();
      assert.ok(canvas.y + canvas.height <= height + 1 && canvas.x >= 0 && canvas.x + canvas.width <= width, `${size}: the canvas is in the window`);
      assert.equal(await edgePixelsOffBackground(page), 0, `${size}: the Mac touches the canvas's edge (cut off)`);
      const crt = await page.locator('[data-testid=crt]').boundingBox();
      assert.ok(crt.y >= 0 && crt.y + crt.height <= height && crt.x >= 0 && crt.x + crt.width <= width, `${size}: the screen is in the window`);
      const overflow = await page.locator('[data-testid=crt] .crt-content').evaluate((e) => e.scrollHeight - e.clientHeight);
      assert.ok(overflow <= 1, `${size}: the screen's content needs scrolling (${overflow} px more)`);
      // the answer on the screen says what the full result beside it says
      assert.match(await page.locator('[data-testid=crt] .screen-headline').textContent(), new RegExp(native.class));
      const side = await page.locator('.mac-side [data-testid=result]').boundingBox();
      assert.ok(side && side.x >= crt.x + crt.width - 1, `${size}: the full result is beside the Mac`);
      await page.close();
    }
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
