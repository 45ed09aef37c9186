// End-to-end in Debian's Firefox ESR (driven over WebDriver BiDi with puppeteer-core): the same app
// as in Chromium, served by `vibe-opsy serve`; the numbers must be the native CLI's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { ROOT, REFERENCE, nativePredictions } from '../node/helpers.mjs';
import { startServer, waitUntilDown } from './server.mjs';

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const GOOD = 'lesion_7_2.png';
let server;
let native;
let browser;

before(async () => {
  assert.ok(existsSync(FIREFOX), `${FIREFOX} is missing: scripts/setup.sh installs Debian's firefox-esr`);
  mkdirSync(ARTIFACTS, { recursive: true });
  native = nativePredictions([GOOD]);
  server = await startServer();
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocol: 'webDriverBiDi',
    // 3D off: Firefox headless has no WebGL on this machine anyway; the 2D layout is what it shows.
    extraPrefsFirefox: { 'webgl.disabled': true },
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Picks a file through the page's file input, as a person choosing one would. */
async function pick(page, path) {
  const input = await page.$('[data-testid=file-input]');
  await input.uploadFile(path);
}

async function text(page, selector) {
  return page.$eval(selector, (e) => e.textContent);
}

/** Console messages of each page, kept for a failure's message. */
const consoleOf = new WeakMap();

async function newPage() {
  const page = await browser.newPage();
  const logged = [];
  consoleOf.set(page, logged);
  page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
  return page;
}

/**
 * Waits for the result; fails at once with the page's message when it shows an error instead, and
 * on a timeout with what the page shows (the failure alone says nothing of why).
 */
async function waitForResult(page, timeout, what) {
  try {
    await page.waitForSelector('[data-testid=result], [data-testid=error]', { timeout });
  } catch (e) {
    const shown = await page.evaluate(() => document.body.innerText).catch((err) => `(unreadable: ${err})`);
    await page.screenshot({ path: join(ARTIFACTS, `firefox-timeout.png`) }).catch(() => {});
    const logged = consoleOf.get(page) ?? [];
    throw new Error(`${what}: no result within ${timeout / 1000} s (${e.message}); the page shows:\n${shown}\nits console:\n${logged.join('\n')}`);
  }
  const error = await page.$('[data-testid=error]');
  if (error) throw new Error(`${what}: the page shows an error: ${await text(page, '[data-testid=error]')}`);
}

test('Firefox: a lesion image classifies on the device with the CLI\'s numbers; a bad file errors and the next works', async () => {
  const page = await newPage();
  const errors = [];
  // Firefox reports its own failure to decode the broken file's preview <img> as a page error; any
  // other error (ours) fails the test.
  page.on('pageerror', (e) => /Image corrupt or truncated/.test(String(e)) || errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=dropzone]');
  await pick(page, join(REFERENCE, 'images', GOOD));
  await waitForResult(page, 180_000, 'the first lesion');
  const want = native[GOOD];
  assert.equal(await page.$eval('[data-testid=result]', (e) => e.getAttribute('data-engine')), 'local');
  const build = await page.$eval('[data-testid=result]', (e) => e.getAttribute('data-build'));
  // Firefox has relaxed SIMD and the page is cross-origin isolated: the threaded engine.
  assert.equal(build, 'threads');
  const threads = await page.$eval('[data-testid=result]', (e) => e.getAttribute('data-threads'));
  assert.equal(await text(page, '[data-testid=result-class]'), want.class);
  for (const [code, p] of Object.entries(want.probabilities)) {
    assert.equal(await text(page, `[data-testid=prob-${code}]`), `${(p * 100).toFixed(1)}%`, code);
  }
  // The app starts a fresh worker when the threaded engine's start hangs (Firefox, now and then):
  // recorded, so that how often it happens is visible.
  const restarts = consoleOf.get(page).filter((m) => /starting it again/.test(m));
  writeFileSync(join(ARTIFACTS, 'firefox-engine.txt'), `Firefox ESR: on-device build ${build}, ${threads} threads; worker restarts: ${restarts.length}\n${restarts.join('\n')}\n`);
  if (restarts.length) console.log(`Firefox: ${restarts.join('; ')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'firefox-result.png') });

  // a truncated JPEG: a clear error, then a good file still classifies
  const dir = mkdtempSync(join(tmpdir(), 'ff-'));
  try {
    const jpeg = readFileSync(join(REFERENCE, 'images/lesion_7_0.jpg'));
    writeFileSync(join(dir, 'broken.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    await pick(page, join(dir, 'broken.jpg'));
    await page.waitForFunction(() => /corrupt or truncated/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), { timeout: 60_000 });
    await pick(page, join(REFERENCE, 'images', GOOD));
    await page.waitForSelector('[data-testid=result]', { timeout: 60_000 });
    assert.equal(await text(page, '[data-testid=result-class]'), want.class);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('Firefox: offline after one visit — with the server gone, a reload still classifies from the caches', async () => {
  const own = await startServer();
  const second = 'v_7_rgba.png';
  const want = nativePredictions([second])[second];
  const page = await newPage();
  try {
    await page.goto(own.url);
    await page.waitForSelector('[data-testid=dropzone]');
    await pick(page, join(REFERENCE, 'images', GOOD));
    await waitForResult(page, 180_000, 'the first visit');
    // the service worker controls the page and the worker has kept the engine and the model
    await page.waitForFunction(() => !!navigator.serviceWorker?.controller, { timeout: 60_000 });
    const cached = await page.evaluate(async () => (await (await caches.open('vibe-opsy-assets-v1')).keys()).map((r) => r.url.split('/').pop()));
    assert.equal(cached.filter((u) => u.endsWith('.onnx')).length, 1, cached.join());
    assert.equal(cached.filter((u) => u.endsWith('.wasm')).length, 1, cached.join());
    own.stop();
    await waitUntilDown(own.url);
    await page.reload();
    await page.waitForSelector('[data-testid=dropzone]', { timeout: 60_000 });
    await pick(page, join(REFERENCE, 'images', second));
    await page.waitForFunction((name) => document.querySelector('.preview figcaption')?.textContent === name, { timeout: 60_000 }, second);
    await waitForResult(page, 180_000, 'offline, after the reload');
    assert.equal(await page.$eval('[data-testid=result]', (e) => e.getAttribute('data-engine')), 'local');
    assert.equal(await text(page, '[data-testid=result-class]'), want.class);
    for (const [code, p] of Object.entries(want.probabilities)) {
      assert.equal(await text(page, `[data-testid=prob-${code}]`), `${(p * 100).toFixed(1)}%`, code);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'firefox-offline-result.png') });
  } finally {
    own.stop();
    await page.close();
  }
});
