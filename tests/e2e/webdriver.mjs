// A minimal W3C WebDriver client (fetch only), enough to drive WebKitGTK's WebKitWebDriver.
import { spawn } from 'node:child_process';
import { freePort, waitUntilUp } from './server.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverSession {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  async #call(method, path, body) {
    const response = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error} ${json.value?.message}`);
    return json.value;
  }

  goto(url) {
    return this.#call('POST', '/url', { url });
  }

  async find(css) {
    return (await this.#call('POST', '/element', { using: 'css selector', value: css }))[ELEMENT];
  }

  /** For `<input type=file>`: the path of a file to choose (works on hidden inputs in WebKitGTK). */
  sendKeys(element, text) {
    return this.#call('POST', `/element/${element}/value`, { text });
  }

  execute(script, args = []) {
    return this.#call('POST', '/execute/sync', { script, args });
  }

  /** Polls `script` (a function body returning a value) until it is truthy. */
  async waitFor(script, { timeout = 60_000, args = [] } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.execute(script, args);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${script}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async screenshot() {
    return Buffer.from(await this.#call('GET', '/screenshot'), 'base64');
  }

  close() {
    return this.#call('DELETE', '');
  }
}

/** Starts a driver (and an X server for it when `display` is given); returns a session factory. */
export async function startDriver(driverBinary, { display } = {}) {
  const children = [];
  const env = { ...process.env };
  if (display) {
    const xvfb = spawn('Xvfb', [display, '-screen', '0', '1280x960x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    children.push(xvfb);
    env.DISPLAY = display;
    await new Promise((r) => setTimeout(r, 500));
  }
  const port = await freePort();
  const driver = spawn(driverBinary, [`--port=${port}`], { env, stdio: 'ignore' });
  children.push(driver);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${base}/status`, { timeoutMs: 20_000, what: driverBinary, gaveUp: () => driver.exitCode !== null });
  return {
    async session(capabilities) {
      const response = await fetch(`${base}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ capabilities: { alwaysMatch: capabilities } }),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`new session: ${json.value?.message}`);
      return new WebDriverSession(base, json.value.sessionId);
    },
    stop() {
      for (const c of children.reverse()) c.kill('SIGTERM');
    },
  };
}
