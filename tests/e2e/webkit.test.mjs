// End-to-end in WebKitGTK (the engine inside Safari), Debian's MiniBrowser under Xvfb, driven by
// WebKitWebDriver: the same app, served by `vibe-opsy serve`; the numbers must be the native CLI's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, REFERENCE, nativePredictions } from '../node/helpers.mjs';
import { startServer } from './server.mjs';
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
  writeFileSync(join(ARTIFACTS, 'webkit-engine.txt'), `WebKitGTK: ${engine.join(' ')}\n`);
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
