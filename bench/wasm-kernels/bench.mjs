// GMAC/s of each kernel (best of 3 rounds of 3 runs); node bench.mjs MODULE.wasm [IDS]
import { readFileSync } from 'node:fs';
const file = process.argv[2];
const { instance } = await WebAssembly.instantiate(readFileSync(file));
const e = instance.exports;
const shapes = [[728, 256, 728], [2048, 64, 1536], [128, 15376, 64]];
const names = ['8x8shuf(tract)','4x8shuf','4x8splat','5x8splat','6x8splat','8x8splat','4x12splat','4x16splat','3x16splat','2x16splat','4x8splat_u2'];
const maxA = 2048*1536, maxB = 15376*128, maxC = 2048*15376;
const a = e.alloc(maxA + 64), b = e.alloc(maxB + 64), c = e.alloc(maxC + 64);
const mem = new Float32Array(e.memory.buffer);
for (let i = 0; i < maxA; i++) mem[a/4 + i] = Math.random();
for (let i = 0; i < maxB; i++) mem[b/4 + i] = Math.random();
const ids = (process.argv[3] ?? '0,1,2,3,4,5,6,7,8,9,10').split(',').map(Number);
for (const [M0, N0, K] of shapes) {
  const res = {};
  for (let round = 0; round < 3; round++) for (const id of ids) {
    const t = e.tile(id); const mr = Math.floor(t / 100), nr = t % 100;
    const M = Math.floor(M0 / mr) * mr, N = Math.floor(N0 / nr) * nr;
    e.run(id, M, N, K, a, b, c);
    const t0 = performance.now(); const reps = 3;
    for (let r = 0; r < reps; r++) e.run(id, M, N, K, a, b, c);
    const dt = (performance.now() - t0) / reps;
    const g = M * N * K / dt / 1e6;
    res[id] = Math.max(res[id] ?? 0, g);
  }
  console.log(`M=${M0} N=${N0} K=${K}: ` + ids.map(id => `${names[id]} ${res[id].toFixed(1)}`).join(' | ') + ' GMAC/s');
}
