// Draws the app icons (a tiny beige Macintosh with a lesion on its screen) as PNGs, procedurally.
//   node www/scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) row.set(pixel(x / size, y / size), 1 + x * 3);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const inRect = (x, y, x0, y0, x1, y1) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
function mac(x, y) {
  const bg = [43, 38, 32];
  if (!inRect(x, y, 0.2, 0.1, 0.8, 0.9)) return bg; // safe zone for maskable icons
  if (inRect(x, y, 0.28, 0.18, 0.72, 0.55)) {
    const d = Math.hypot(x - 0.5, y - 0.365);
    if (d < 0.09) return [92, 52, 34]; // the lesion
    if (d < 0.12) return [176, 122, 96];
    return [231, 196, 170]; // skin on the screen
  }
  if (inRect(x, y, 0.45, 0.68, 0.7, 0.7)) return [60, 55, 48]; // floppy slot
  return [229, 220, 196]; // beige case
}

for (const size of [192, 512]) writeFileSync(new URL(`../public/icon-${size}.png`, import.meta.url), png(size, mac));
writeFileSync(
  new URL('../public/icon.svg', import.meta.url),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#2b2620"/><rect x="20" y="10" width="60" height="80" rx="4" fill="#e5dcc4"/><rect x="28" y="18" width="44" height="37" rx="2" fill="#e7c4aa"/><circle cx="50" cy="36.5" r="12" fill="#b07a60"/><circle cx="50" cy="36.5" r="9" fill="#5c3422"/><rect x="45" y="68" width="25" height="2" fill="#3c3730"/></svg>\n`,
);
