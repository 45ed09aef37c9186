// What one and two threads of this machine can do in WebAssembly, for reading the matrix products'
// speed (`bench/wasm-profile.mjs`) against it: fused multiply-adds per second (GMAC/s, 4 lanes per
// f32x4.relaxed_madd) in headless Chromium, in one Web Worker and in two at once, for
//   chains12  12 independent accumulators, no memory access: the FMA units' peak
//   chains8   8 accumulators: the most a register tile keeps in V8 on x86-64 (15 vector registers)
//   tile4x8   the engine's 4×8 kernel's inner loop (src/engine/kernels/wasm_matmul.rs: 2 loads of
//             the right panel, 4 splat loads of the left, 8 multiply-adds per step) on panels that
//             stay in L1 (depth 256): what a product could reach with no cache miss and no per-tile work
// The module is written here as text and assembled with binaryen's wasm-opt (npm, like the builds).
//   node bench/wasm-fma-ceiling.mjs [ROUNDS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, launchChromium, median, serveIsolated } from './isolated-page.mjs';

const ROUNDS = Number(process.argv[2] ?? 5);

function chains(n, name) {
  const acc = Array.from({ length: n }, (_, i) => `$a${i}`);
  const steps = Array.from({ length: 96 / n }, () => acc.map((a) => `(local.set ${a} (f32x4.relaxed_madd (local.get ${a}) (local.get $x) (local.get $y)))`).join('\n')).join('\n');
  const sum = acc.slice(1).reduce((s, a) => `(f32x4.add ${s} (local.get ${a}))`, `(local.get ${acc[0]})`);
  return `(func (export "${name}") (param $n i32) (result f32) ${acc.map((a) => `(local ${a} v128)`).join(' ')} (local $x v128) (local $y v128)
  (local.set $x (f32x4.splat (f32.const 1.0000001))) (local.set $y (f32x4.splat (f32.const 0.9999999)))
  (loop $l ${steps} (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  (f32x4.extract_lane 0 ${sum}))`;
}

function tile4x8() {
  const acc = [0, 1, 2, 3].flatMap((r) => [0, 1].map((c) => `$c${r}${c}`));
  const rows = [0, 1, 2, 3].map((r) => `(local.set $a (v128.load32_splat offset=${4 * r} (local.get $pa)))
    (local.set $c${r}0 (f32x4.relaxed_madd (local.get $a) (local.get $b0) (local.get $c${r}0)))
    (local.set $c${r}1 (f32x4.relaxed_madd (local.get $a) (local.get $b1) (local.get $c${r}1)))`).join('\n');
  const sum = acc.slice(1).reduce((s, a) => `(f32x4.add ${s} (local.get ${a}))`, `(local.get ${acc[0]})`);
  return `(func (export "tile4x8") (param $n i32) (result f32) ${acc.map((a) => `(local ${a} v128)`).join(' ')}
  (local $a v128) (local $b0 v128) (local $b1 v128) (local $pa i32) (local $pb i32) (local $k i32)
  (loop $outer
    (local.set $pa (i32.const 0)) (local.set $pb (i32.const 8192)) (local.set $k (i32.const 256))
    (loop $l
      (local.set $b0 (v128.load (local.get $pb))) (local.set $b1 (v128.load offset=16 (local.get $pb)))
      ${rows}
      (local.set $pa (i32.add (local.get $pa) (i32.const 16))) (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (br_if $outer (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  (f32x4.extract_lane 0 ${sum}))`;
}

const dir = mkdtempSync(join(tmpdir(), 'fma-ceiling-'));
let wasm;
try {
  writeFileSync(join(dir, 'm.wat'), `(module (memory 1)\n${chains(12, 'chains12')}\n${chains(8, 'chains8')}\n${tile4x8()})`);
  execFileSync(join(ROOT, 'node_modules/.bin/wasm-opt'), [join(dir, 'm.wat'), '--enable-simd', '--enable-relaxed-simd', '-o', join(dir, 'm.wasm')], { stdio: 'ignore' });
  wasm = readFileSync(join(dir, 'm.wasm')).toString('base64');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Each call: `n` loop iterations; MACs per iteration: 96 × 4 lanes (chains), 256 steps × 32 (tile).
const worker = `const bytes = Uint8Array.from(atob('${wasm}'), (c) => c.charCodeAt(0));
onmessage = async ({ data }) => {
  const { instance } = await WebAssembly.instantiate(bytes);
  const f = instance.exports[data.fn];
  for (let i = 0; i < 30; i++) f(2000); // past V8's baseline tier
  await new Promise((r) => setTimeout(r, 20));
  const [n, macs] = data.fn === 'tile4x8' ? [20000, 256 * 32] : [2e6, 96 * 4];
  const t = performance.now();
  f(n);
  postMessage((n * macs) / (performance.now() - t) / 1e6);
};`;
const page = `<!doctype html><script type="module">
window.run = (workers, fn) => Promise.all(Array.from({ length: workers }, () => new Promise((resolve) => {
  const w = new Worker('/worker.js');
  w.onmessage = ({ data }) => { w.terminate(); resolve(data); };
  w.postMessage({ fn });
})));
</script>`;

const server = await serveIsolated(page, worker);
const browser = await launchChromium();
const results = {};
try {
  const tab = await (await browser.newContext()).newPage();
  await tab.goto(server.url);
  for (let r = 0; r < ROUNDS; r++) {
    for (const fn of ['chains12', 'chains8', 'tile4x8']) {
      for (const workers of [1, 2]) {
        const each = await tab.evaluate(([w, f]) => window.run(w, f), [workers, fn]);
        (results[`${fn}|${workers}`] ??= []).push(each.reduce((a, b) => a + b, 0) / workers);
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`Chromium, ${ROUNDS} rounds: GMAC/s per thread (median; all rounds)\n`);
console.log('| loop | 1 thread | 2 threads at once |');
console.log('|---|---|---|');
for (const fn of ['chains12', 'chains8', 'tile4x8']) {
  const cell = (w) => `${median(results[`${fn}|${w}`]).toFixed(1)} (${results[`${fn}|${w}`].map((x) => x.toFixed(1)).join(', ')})`;
  console.log(`| ${fn} | ${cell(1)} | ${cell(2)} |`);
}
