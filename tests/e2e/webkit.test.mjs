// End-to-end in WebKitGTK (the engine inside Safari), Debian's MiniBrowser under Xvfb, driven by
// WebKitWebDriver: the same app, served by `vibe-opsy serve`; the numbers must be the native CLI's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, REFERENCE, nativePredictions } from '../node/helpers.mjs';
import { startServer, waitUntilDown } from './server.mjs';
import { startDriver } from './webdriver.mjs';

const DRIVER = '/usr/bin/WebKitWebDriver';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const GOOD = 'lesion_7_2.png';
let server;
let native;
let driver;
let session;

before(async () => {
  for (const f of [DRIVER, MINIBROWSER, '/usr/bin/Xvfb']) {
    assert.ok(existsSync(f), `${f} is missing: scripts/setup.sh installs webkit2gtk-driver and xvfb`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  native = nativePredictions([GOOD]);
  server = await startServer();
  driver = await startDriver(DRIVER, { display: `:${90 + (process.pid % 9)}` });
  session = await driver.session({
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
  });
});

after(async () => {
  await session?.close().catch(() => undefined);
  driver?.stop();
  server?.stop();
});

const textOf = (css) => session.execute('return document.querySelector(arguments[0])?.textContent ?? null', [css]);

test('WebKit: a lesion image classifies with the CLI\'s numbers; a bad file errors and the next works', async () => {
  await session.goto(server.url);
  await session.waitFor('return !!document.querySelector("[data-testid=dropzone]")');
  const input = await session.find('[data-testid=file-input]');
  await session.sendKeys(input, join(REFERENCE, 'images', GOOD));
  await session.waitFor('return !!document.querySelector("[data-testid=result]")', { timeout: 180_000 });
  const engine = await session.execute('const r = document.querySelector("[data-testid=result]"); return [r.getAttribute("data-engine"), r.getAttribute("data-build")]');
  const want = native[GOOD];
  assert.equal(await textOf('[data-testid=result-class]'), want.class);
  for (const [code, p] of Object.entries(want.probabilities)) {
    assert.equal(await textOf(`[data-testid=prob-${code}]`), `${(p * 100).toFixed(1)}%`, code);
  }
  // WebKitGTK runs the on-device engine (SIMD128: it has no relaxed SIMD), never the cloud unasked.
  assert.deepEqual(engine, ['local', 'simd128']);
  // Safari's budget: the peak resident memory of WebKit's web content process (the page and its
  // classifier worker) after loading the model and classifying. iOS ends tabs at roughly 1–1.5 GB.
  const peakMb = webProcessPeakMb();
  const serviceWorker = await session.execute('return "serviceWorker" in navigator');
  writeFileSync(
    join(ARTIFACTS, 'webkit-engine.txt'),
    `WebKitGTK: ${engine.join(' ')}; web process peak RSS ${peakMb.toFixed(0)} MB; service workers: ${serviceWorker}\n`,
  );
  assert.ok(peakMb > 50 && peakMb < 1024, `WebKit's web process peaked at ${peakMb.toFixed(0)} MB`);
  writeFileSync(join(ARTIFACTS, 'webkit-result.png'), await session.screenshot());

  const dir = mkdtempSync(join(tmpdir(), 'wk-'));
  try {
    const jpeg = readFileSync(join(REFERENCE, 'images/lesion_7_0.jpg'));
    writeFileSync(join(dir, 'broken.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    await session.sendKeys(await session.find('[data-testid=file-input]'), join(dir, 'broken.jpg'));
    await session.waitFor('return /corrupt or truncated/.test(document.querySelector("[data-testid=error]")?.textContent ?? "")');
    await session.sendKeys(await session.find('[data-testid=file-input]'), join(REFERENCE, 'images', GOOD));
    await session.waitFor('return !!document.querySelector("[data-testid=result]")', { timeout: 60_000 });
    assert.equal(await textOf('[data-testid=result-class]'), want.class);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The largest peak resident set (VmHWM) among WebKit's web content processes, in MB. */
function webProcessPeakMb() {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('WebKitWebProcess')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
    } catch {
      // the process ended meanwhile
    }
  }
  return peak;
}

test('WebKit: offline after one visit — with the server gone, a reload still classifies from the caches', async () => {
  const own = await startServer();
  const second = 'v_7_rgba.png';
  const want = nativePredictions([second])[second];
  try {
    await session.goto(own.url);
    await session.waitFor('return !!document.querySelector("[data-testid=dropzone]")');
    await session.sendKeys(await session.find('[data-testid=file-input]'), join(REFERENCE, 'images', GOOD));
    await session.waitFor('return !!document.querySelector("[data-testid=result]")', { timeout: 180_000 });
    await session.waitFor('return !!navigator.serviceWorker.controller', { timeout: 60_000 });
    own.stop();
    await waitUntilDown(own.url);
    await session.goto(own.url);
    await session.waitFor('return !!document.querySelector("[data-testid=dropzone]")', { timeout: 60_000 });
    await session.sendKeys(await session.find('[data-testid=file-input]'), join(REFERENCE, 'images', second));
    await session.waitFor(
      `return document.querySelector('.preview figcaption')?.textContent === ${JSON.stringify(second)} && !!document.querySelector('[data-testid=result]')`,
      { timeout: 180_000 },
    );
    assert.equal(await textOf('[data-testid=result-class]'), want.class);
    for (const [code, p] of Object.entries(want.probabilities)) {
      assert.equal(await textOf(`[data-testid=prob-${code}]`), `${(p * 100).toFixed(1)}%`, code);
    }
    writeFileSync(join(ARTIFACTS, 'webkit-offline-result.png'), await session.screenshot());
  } finally {
    own.stop();
  }
});
