// Shared helpers for the Node and browser tests of the npm package.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REFERENCE = resolve(ROOT, 'tests/fixtures/reference');
export const IMAGES = [
  'lesion_7_0.jpg',
  'lesion_7_2.png',
  'lesion_7_5.png',
  'v_7_exif6.jpg',
  'v_7_cmyk.jpg',
  'v_7_gray16.png',
  'v_7_lossless.webp',
  'v_7_palette.gif',
  'v_7_rgba.png',
  'v_7_tiny.png',
  'v_7.bmp',
  'grace_hopper.jpg',
];

/** The native CLI built by `cargo build` (same profile the Rust tests use). */
export function nativeBinary() {
  const targetDir = process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
  const bin = join(targetDir, 'debug', 'vibe-opsy');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run cargo build first`);
  return bin;
}

/** Native predictions for the reference images, by file name. */
export function nativePredictions(names = IMAGES, extraArgs = []) {
  const out = execFileSync(nativeBinary(), ['classify', '--json', ...extraArgs, ...names.map((n) => (n.includes('/') ? join(ROOT, n) : join(REFERENCE, 'images', n)))], {
    encoding: 'utf8',
    env: { ...process.env, VIBE_OPSY_MODEL: join(ROOT, 'models/sklesion.manifest.json') },
  });
  const byName = {};
  for (const line of out.trim().split('\n')) {
    const p = JSON.parse(line);
    byName[p.file.split('/').pop()] = p;
  }
  return byName;
}

/** Largest absolute probability difference between two predictions. */
export function maxDiff(a, b) {
  return Math.max(...Object.keys(b.probabilities).map((k) => Math.abs(a.probabilities[k] - b.probabilities[k])));
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
