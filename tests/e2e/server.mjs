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

export async function startServer() {
  const port = await freePort();
  const child = spawn(nativeBinary(), ['serve', '--addr', `127.0.0.1:${port}`, '--static', join(ROOT, 'www/dist')], {
    env: { ...process.env, VIBE_OPSY_MODEL: join(ROOT, 'models/sklesion.manifest.json'), RUST_LOG: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the server did not become healthy');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}
