import { describe, expect, it } from 'vitest';
import { cachedFetch, stemOf, type DownloadProgress } from './assetCache';

/** A Cache Storage in memory, enough for cachedFetch. */
function memoryCaches() {
  const store = new Map<string, Response>();
  const cache = {
    async match(url: string) {
      return store.get(url)?.clone();
    },
    async put(url: string, response: Response) {
      store.set(url, response);
    },
    async keys() {
      return [...store.keys()].map((url) => ({ url }) as Request);
    },
    async delete(request: Request) {
      return store.delete(request.url);
    },
  };
  return { store, caches: { open: async () => cache } as unknown as CacheStorage };
}

const MODEL = 'http://app.test/assets/sklesion_w8-DQXiBkAX.onnx';
const bytes = (n: number) => new Uint8Array(n).map((_, i) => i % 251);

describe('cachedFetch', () => {
  it('names files without their build hash', () => {
    expect(stemOf(MODEL)).toBe('sklesion_w8');
    expect(stemOf('/assets/vibe_opsy_bg-Dby3P12-.wasm')).toBe('vibe_opsy_bg');
  });

  it('downloads once, then serves the cache with no network', async () => {
    const { caches } = memoryCaches();
    let requests = 0;
    const fetchImpl = (async () => {
      requests++;
      return new Response(bytes(1000), { headers: { 'content-length': '1000' } });
    }) as unknown as typeof fetch;
    const progress: DownloadProgress[] = [];
    const get = cachedFetch({ caches, fetchImpl, onProgress: (p) => progress.push(p) });
    const first = new Uint8Array(await (await get(MODEL)).arrayBuffer());
    const second = new Uint8Array(await (await get(MODEL)).arrayBuffer());
    expect(requests).toBe(1);
    expect(second).toEqual(first);
    expect(progress.at(-1)).toMatchObject({ what: 'model', fromCache: true, loaded: 1000 });
    expect(progress.some((p) => !p.fromCache && p.total === 1000 && p.loaded === 1000)).toBe(true);
  });

  it('retries a dropped connection and reports the retry', async () => {
    const { caches } = memoryCaches();
    let requests = 0;
    const fetchImpl = (async () => {
      requests++;
      if (requests < 3) {
        // the body breaks off after a first chunk
        const body = new ReadableStream({
          start(c) {
            c.enqueue(bytes(100));
            c.error(new TypeError('network error'));
          },
        });
        return new Response(body, { headers: { 'content-length': '1000' } });
      }
      return new Response(bytes(1000), { headers: { 'content-length': '1000' } });
    }) as unknown as typeof fetch;
    const progress: DownloadProgress[] = [];
    const get = cachedFetch({ caches, fetchImpl, backoffMs: () => 1, onProgress: (p) => progress.push(p) });
    const body = new Uint8Array(await (await get(MODEL)).arrayBuffer());
    expect(body).toEqual(bytes(1000));
    expect(requests).toBe(3);
    expect(Math.max(...progress.map((p) => p.attempt))).toBe(2);
  });

  it('gives up after its retries with the network error', async () => {
    const { caches, store } = memoryCaches();
    const fetchImpl = (async () => {
      throw new TypeError('offline');
    }) as unknown as typeof fetch;
    await expect(cachedFetch({ caches, fetchImpl, retries: 2, backoffMs: () => 1 })(MODEL)).rejects.toThrow('offline');
    expect(store.size).toBe(0);
  });

  it('passes server errors through without caching them', async () => {
    const { caches, store } = memoryCaches();
    const fetchImpl = (async () => new Response('gone', { status: 404 })) as unknown as typeof fetch;
    expect((await cachedFetch({ caches, fetchImpl })(MODEL)).status).toBe(404);
    expect(store.size).toBe(0);
  });

  it('keeps one version of each file', async () => {
    const { caches, store } = memoryCaches();
    const fetchImpl = (async () => new Response(bytes(10))) as unknown as typeof fetch;
    const get = cachedFetch({ caches, fetchImpl });
    await get(MODEL);
    await get('http://app.test/assets/vibe_opsy_bg-Dby3P12-.wasm');
    await get('http://app.test/assets/sklesion_w8-NEWHASH1.onnx');
    expect([...store.keys()].sort()).toEqual([
      'http://app.test/assets/sklesion_w8-NEWHASH1.onnx',
      'http://app.test/assets/vibe_opsy_bg-Dby3P12-.wasm',
    ]);
  });

  it('takes the total from the known sizes when the server compresses', async () => {
    const { caches } = memoryCaches();
    const fetchImpl = (async () =>
      new Response(bytes(1000), { headers: { 'content-length': '600', 'content-encoding': 'br' } })) as unknown as typeof fetch;
    const progress: DownloadProgress[] = [];
    await cachedFetch({ caches, fetchImpl, sizes: { sklesion_w8: 1000 }, onProgress: (p) => progress.push(p) })(MODEL);
    expect(progress.at(-1)).toMatchObject({ loaded: 1000, total: 1000 });
  });
});
