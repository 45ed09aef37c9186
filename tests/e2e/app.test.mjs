// End-to-end: the built web app served by `vibe-opsy serve`, driven in headless Debian Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, REFERENCE, CHROMIUM_ARGS, nativePredictions } from '../node/helpers.mjs';
import { startServer } from './server.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const GOOD = 'lesion_7_2.png';
const SECOND = 'v_7_rgba.png';
const PHOTO = 'tests/fixtures/domain/photos/skimage_astronaut.jpg';
const DERMOSCOPY = 'tests/fixtures/reference/dermoscopy/ISIC_0026266.jpg';
let server;
let native;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  native = nativePredictions([GOOD, SECOND, 'lesion_7_0.jpg', PHOTO, DERMOSCOPY]);
  server = await startServer();
});

after(() => server?.stop());

async function launch(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Drops a file on the page the way a person dragging from the desktop would (synthesised DataTransfer). */
async function dropFile(page, name, bytes = readFileSync(join(REFERENCE, 'images', name))) {
  await page.evaluate(
    ({ name, b64 }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: 'image/*' }));
      const target = document.querySelector('[data-testid=dropzone]') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    },
    { name, b64: Buffer.from(bytes).toString('base64') },
  );
}

/** Reads the shown result and checks it against the native CLI's prediction for the same file. */
async function assertShowsNative(page, name, engine, want = native[name]) {
  const result = page.locator('[data-testid=result]');
  await result.waitFor({ timeout: 120_000 });
  assert.equal(await result.getAttribute('data-engine'), engine);
  assert.equal(await page.locator('[data-testid=result-class]').textContent(), want.class);
  assert.equal(await page.locator('[data-testid=result-label]').textContent(), want.label);
  assert.equal(await page.locator('[data-testid=result-confidence]').textContent(), `${(want.confidence * 100).toFixed(1)}%`);
  for (const [code, p] of Object.entries(want.probabilities)) {
    assert.equal(await page.locator(`[data-testid=prob-${code}]`).textContent(), `${(p * 100).toFixed(1)}%`, `${name} ${code}`);
  }
  const flag = await page.locator('[data-testid=cancer-flag]').textContent();
  assert.match(flag, want.is_cancer ? /class is a cancer/ : /class is not a cancer/);
  assert.equal(await page.locator('[data-testid=cancer-probability]').textContent(), `${(want.cancer_probability * 100).toFixed(1)}%`);
  assert.equal(await result.getAttribute('data-in-domain'), 'true');
}

/**
 * Waits until the page shows `want` (the CLI's prediction for `name` with some metadata), which must
 * differ in a displayed probability from the one without metadata, then checks every number.
 */
async function waitForChangedNumbers(page, name, want) {
  const shown = (p) => `${(p * 100).toFixed(1)}%`;
  const code = Object.keys(want.probabilities).find((c) => shown(want.probabilities[c]) !== shown(native[name].probabilities[c]));
  assert.ok(code, 'the metadata changes a displayed probability');
  try {
    await page.waitForFunction(
      ([code, text]) => document.querySelector(`[data-testid=prob-${code}]`)?.textContent === text,
      [code, shown(want.probabilities[code])],
      { timeout: 60_000 },
    );
  } catch (e) {
    const seen = await page.evaluate((code) => ({
      prob: document.querySelector(`[data-testid=prob-${code}]`)?.textContent,
      engine: document.querySelector('[data-testid=engine]')?.textContent,
      inputs: [...document.querySelectorAll('input, select')].map((i) => `${i.name || i.type}=${i.value}`),
      error: document.querySelector('[data-testid=error]')?.textContent,
    }), code);
    await page.screenshot({ path: join(ARTIFACTS, 'metadata-change-timeout.png') });
    throw new Error(`${e.message}; wanted ${code} ${shown(want.probabilities[code])}, page shows ${JSON.stringify(seen)}`);
  }
  await assertShowsNative(page, name, 'local', want);
}

test('an everyday photo: no class headline, no cancer flag, the numbers only behind "show anyway"; a real dermatoscopic image still gets its result', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator('[data-testid=dropzone]').waitFor();
    assert.equal(native[PHOTO.split('/').pop()].in_domain, false, 'the CLI flags the photo');
    await dropFile(page, PHOTO.split('/').pop(), readFileSync(join(ROOT, PHOTO)));
    const result = page.locator('[data-testid=result]');
    await result.waitFor({ timeout: 120_000 });
    assert.equal(await result.getAttribute('data-in-domain'), 'false');
    assert.match(await page.locator('[data-testid=not-a-lesion]').textContent(), /does not look like a dermatoscopic photo/);
    assert.equal(await page.locator('[data-testid=result-class]').count(), 0, 'no class headline');
    assert.equal(await page.locator('[data-testid=cancer-flag]').count(), 0, 'no cancer flag');
    assert.equal(await page.locator('[data-testid^=prob-]').count(), 0, 'no probabilities until asked');
    assert.match(await page.locator('[data-testid=warnings]').textContent(), /does not look like a dermatoscopic/);
    await page.screenshot({ path: join(ARTIFACTS, 'photo-not-a-lesion.png'), fullPage: true });
    await page.locator('[data-testid=show-anyway]').click();
    const want = native[PHOTO.split('/').pop()];
    for (const [code, p] of Object.entries(want.probabilities)) {
      assert.equal(await page.locator(`[data-testid=prob-${code}]`).textContent(), `${(p * 100).toFixed(1)}%`, code);
    }
    assert.match(await page.locator('[data-testid=out-of-domain-details]').textContent(), /Not meaningful/);
    assert.equal(await page.locator('[data-testid=cancer-flag]').count(), 0, 'still no cancer flag');

    await dropFile(page, DERMOSCOPY.split('/').pop(), readFileSync(join(ROOT, DERMOSCOPY)));
    await page.locator('[data-testid=result][data-in-domain=true]').waitFor({ timeout: 120_000 });
    await assertShowsNative(page, DERMOSCOPY.split('/').pop(), 'local');
    await page.screenshot({ path: join(ARTIFACTS, 'dermoscopy-result.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('drop an image: on-device result equals the native CLI; then offline after one visit', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.locator('[data-testid=dropzone]').waitFor();
    await dropFile(page, GOOD);
    await assertShowsNative(page, GOOD, 'local');
    // The app's server sends COOP/COEP: Chromium runs the threaded engine, one thread per core here.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    const threads = cores <= 2 ? cores : Math.min(cores - 1, 8);
    assert.equal(await page.locator('[data-testid=result]').getAttribute('data-build'), 'threads');
    assert.equal(await page.locator('[data-testid=result]').getAttribute('data-threads'), String(threads));
    assert.match(await page.locator('[data-testid=engine]').textContent(), new RegExp(`on this device \\(WebAssembly, relaxed SIMD, ${threads} threads\\)`));
    assert.match(await page.locator('footer').textContent(), /Not a diagnosis/);
    await page.screenshot({ path: join(ARTIFACTS, 'local-result.png'), fullPage: true });

    // The service worker has precached the shell; the worker has kept the engine build it used and the
    // model from this first download (and only that build): go offline and reload.
    const cached = await page.evaluate(async () => (await (await caches.open('vibe-opsy-assets-v1')).keys()).map((r) => r.url));
    assert.equal(cached.filter((u) => u.endsWith('.onnx')).length, 1, cached.join());
    assert.deepEqual(cached.filter((u) => u.endsWith('.wasm')).map((u) => u.split('/').pop().split('-')[0]), ['vibe_opsy_threads_bg']);
    assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), 'activated');
    // What an installed app keeps: the shell, one engine build and the model (≈ 18.5 + 21.8 MB raw).
    const { usage } = await page.evaluate(() => navigator.storage.estimate());
    writeFileSync(join(ARTIFACTS, 'installed-storage.txt'), `origin storage after the first answer: ${(usage / 1e6).toFixed(1)} MB\n`);
    assert.ok(usage < 50e6, `the installed app stores ${(usage / 1e6).toFixed(1)} MB`);
    await context.setOffline(true);
    await page.reload();
    await page.locator('[data-testid=dropzone]').waitFor({ timeout: 30_000 });
    await dropFile(page, SECOND);
    await assertShowsNative(page, SECOND, 'local');
    await page.screenshot({ path: join(ARTIFACTS, 'offline-result.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('WebAssembly disabled: consent, then the cloud API answers and the page says so', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    // V8's --no-expose-wasm does not reach Blink's bindings; remove the global before any script runs.
    await page.addInitScript(() => delete globalThis.WebAssembly);
    await page.goto(server.url);
    assert.equal(await page.evaluate(() => typeof WebAssembly), 'undefined');
    await dropFile(page, GOOD);
    await page.locator('[data-testid=consent]').waitFor({ state: 'visible' });
    await page.screenshot({ path: join(ARTIFACTS, 'cloud-consent.png') });
    await page.locator('[data-testid=consent-yes]').click();
    await assertShowsNative(page, GOOD, 'cloud');
    assert.match(await page.locator('[data-testid=engine]').textContent(), /cloud API.*no WebAssembly/);
    await page.screenshot({ path: join(ARTIFACTS, 'cloud-result.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

test('forcing the cloud engine in settings sends the image to the API', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator('summary', { hasText: 'Settings' }).click();
    await page.getByLabel('Always the cloud API').check();
    await dropFile(page, 'lesion_7_0.jpg');
    await page.locator('[data-testid=consent-yes]').click();
    await assertShowsNative(page, 'lesion_7_0.jpg', 'cloud');
  } finally {
    await browser.close();
  }
});

test('a corrupt file gives a clear message and the app keeps working', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    const jpeg = readFileSync(join(REFERENCE, 'images/lesion_7_0.jpg'));
    await dropFile(page, 'broken.jpg', jpeg.subarray(0, jpeg.length >> 1));
    const error = page.locator('[data-testid=error]');
    await error.waitFor({ timeout: 120_000 });
    assert.match(await error.textContent(), /corrupt or truncated/);
    await page.screenshot({ path: join(ARTIFACTS, 'corrupt-file.png'), fullPage: true });
    await dropFile(page, 'notes.jpg', Buffer.from('just text'));
    await page.waitForFunction(() => /not an image/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''));
    await dropFile(page, GOOD);
    await assertShowsNative(page, GOOD, 'local');
  } finally {
    await browser.close();
  }
});

test('an interrupted model download is retried and the first answer still comes from the device', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    let modelRequests = 0;
    await context.route('**/*.onnx', async (route) => {
      modelRequests++;
      // the first try breaks off: the connection is reset
      if (modelRequests === 1) return route.abort('connectionreset');
      return route.continue();
    });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.locator('[data-testid=dropzone]').waitFor();
    await dropFile(page, GOOD);
    await assertShowsNative(page, GOOD, 'local');
    assert.ok(modelRequests >= 2, `the model was requested ${modelRequests} times`);
  } finally {
    await browser.close();
  }
});

test('typing an age during a classification keeps the worker and ends on the CLI\'s numbers for that age', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const workers = [];
    page.on('worker', (w) => workers.push(w.url()));
    await page.goto(server.url);
    // The layout settled first (3D screen in, or the 2D fallback for good): a click on the field while
    // the workspace moves into the 3D screen can land beside it (seen once in CI: the field stayed empty).
    await page.waitForSelector('[data-testid=ui-3d], [data-testid=ui-2d]:not([data-reason="loading 3D"])');
    await dropFile(page, GOOD);
    // while the first answer is being computed, type "65" one key at a time
    const age = page.getByRole('spinbutton', { name: 'Age' });
    await age.click();
    await age.pressSequentially('65', { delay: 80 });
    assert.equal(await age.inputValue(), '65', 'every key typed during the classification reached the field');
    const want = nativePredictions([GOOD], ['--age', '65'])[GOOD];
    await waitForChangedNumbers(page, GOOD, want);
    const classifierWorkers = workers.filter((u) => u.includes('classifier.worker'));
    assert.equal(classifierWorkers.length, 1, `one classifier worker for the whole session: ${workers.join(', ')}`);
  } finally {
    await browser.close();
  }
});

test('five files at once (one corrupt): four results and one error in the list, exported as CSV', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=ui-3d], [data-testid=ui-2d]:not([data-reason="loading 3D"])');
    const names = [GOOD, SECOND, 'lesion_7_0.jpg', 'broken.jpg', 'v_7_exif6.jpg'];
    const jpeg = readFileSync(join(REFERENCE, 'images/lesion_7_0.jpg'));
    const files = names.map((name) => ({
      name,
      mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg',
      buffer: name === 'broken.jpg' ? jpeg.subarray(0, jpeg.length >> 1) : readFileSync(join(REFERENCE, 'images', name)),
    }));
    await page.locator('[data-testid=file-input]').setInputFiles(files);
    await page.waitForFunction(() => document.querySelector('[data-testid=batch-progress]')?.textContent?.startsWith('5 / 5'), null, {
      timeout: 180_000,
    });
    const states = await page.locator('[data-testid=batch-item]').evaluateAll((els) => els.map((e) => [e.dataset.file, e.dataset.state]));
    assert.deepEqual(states, names.map((n) => [n, n === 'broken.jpg' ? 'error' : 'done']));
    assert.equal(await page.locator('[data-testid=batch-error]').getAttribute('data-code'), 'corrupt_image');
    const want = nativePredictions(names.filter((n) => n !== 'broken.jpg'));
    const classes = await page.locator('[data-testid=batch-class]').allTextContents();
    assert.deepEqual(classes, names.filter((n) => n !== 'broken.jpg').map((n) => want[n].class));
    await page.screenshot({ path: join(ARTIFACTS, `batch-list-${(await page.locator('[data-testid=ui-3d]').count()) ? '3d' : '2d'}.png`) });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=batch-csv]').click()]);
    const csv = readFileSync(await download.path(), 'utf8').trimEnd().split('\r\n');
    assert.equal(csv.length, 6, 'a header and one row per file');
    assert.match(csv[0], /^file,class,label,confidence,is_cancer,cancer_probability,in_domain,p_akiec,/);
    for (const [i, name] of names.entries()) {
      const cells = csv[i + 1].split(',');
      assert.equal(cells[0], name);
      if (name === 'broken.jpg') assert.match(csv[i + 1], /corrupt_image/);
      else {
        assert.equal(cells[1], want[name].class);
        assert.ok(Math.abs(Number(cells[3]) - want[name].confidence) < 1e-4, `${name} confidence`);
      }
    }

    // the 2D layout shows the same list
    await page.evaluate(() => localStorage.setItem('vibe-opsy.settings', JSON.stringify({ scene3d: false })));
    await page.reload();
    await page.waitForSelector('[data-testid=ui-2d]');
    await page.locator('[data-testid=file-input]').setInputFiles(files.slice(0, 2));
    await page.waitForFunction(() => document.querySelector('[data-testid=batch-progress]')?.textContent?.startsWith('2 / 2'), null, {
      timeout: 120_000,
    });
    await page.screenshot({ path: join(ARTIFACTS, 'batch-list-2d.png') });
  } finally {
    await browser.close();
  }
});

test('keyboard only: Tab to the drop zone, Enter opens the file chooser, result is shown', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    // Start once the layout has settled (the 3D screen, or the final 2D layout).
    await page.waitForSelector('[data-testid=ui-3d], [data-testid=ui-2d]:not([data-reason="loading 3D"])');
    let focused;
    for (let i = 0; i < 10 && focused !== 'dropzone'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    }
    assert.equal(focused, 'dropzone');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.locator('[data-testid=dropzone]:focus').press('Enter'),
    ]);
    await chooser.setFiles(join(REFERENCE, 'images', GOOD));
    await assertShowsNative(page, GOOD, 'local');
    // The metadata fields are reachable and labelled; changing one re-runs the prediction: the page
    // then shows the CLI's numbers for that sex, which differ from those without metadata.
    const withSex = nativePredictions([GOOD], ['--sex', 'female'])[GOOD];
    await page.getByLabel('Sex').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByLabel('Sex').inputValue(), 'female');
    await waitForChangedNumbers(page, GOOD, withSex);
    await page.screenshot({ path: join(ARTIFACTS, 'keyboard-flow.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
