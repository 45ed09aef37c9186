// Starts `vibe-opsy serve --static www/dist` on a free loopback port for the browser tests.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, nativeBinary } from '../node/helpers.mjs';

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs` or once `gaveUp()` says the process died. */
export async function waitUntilUp(url, { timeoutMs, what, gaveUp = () => false }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || gaveUp()) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves once nothing answers at `url` any more (a stopped server: the app must work offline). */
export async function waitUntilDown(url) {
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(url);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} still answers`);
}

export async function startServer() {
  const port = await freePort();
  const child = spawn(nativeBinary(), ['serve', '--addr', `127.0.0.1:${port}`, '--static', join(ROOT, 'www/dist')], {
    env: { ...process.env, VIBE_OPSY_MODEL: join(ROOT, 'models/sklesion.manifest.json'), RUST_LOG: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${url}/health`, { timeoutMs: 120_000, what: 'the server', gaveUp: () => child.exitCode !== null });
  return { url, stop: () => child.kill('SIGTERM') };
}
