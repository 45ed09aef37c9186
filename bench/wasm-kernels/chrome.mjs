// bench.mjs inside headless Chromium (Debian chromium): node chrome.mjs A.wasm [B.wasm ...]
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
page.on('console', m => console.log(m.text()));
const src = readFileSync('bench.mjs', 'utf8').replace(/^import.*$/mg, '').replace("const file = process.argv[2];", '').replace('readFileSync(file)', 'bytes').replace("process.argv[3]", 'undefined');
for (const f of process.argv.slice(2)) {
  const b64 = readFileSync(f).toString('base64');
  console.log('==', f);
  await page.evaluate(async ([b64, src]) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    await (new Function('bytes', 'return (async () => {' + src + '})()'))(bytes);
  }, [b64, src]);
}
await browser.close();
