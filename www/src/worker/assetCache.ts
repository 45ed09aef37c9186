// The engine (.wasm) and the model (.onnx) are downloaded once, by the worker, and kept in Cache
// Storage under their content-hashed URLs: the first answer's download is the one the device keeps
// (the service worker does not precache them, so no byte travels twice), only the engine build this
// browser uses is stored, and a second visit reads both from the cache with no network at all.
// A dropped connection is retried with backoff; progress reports bytes, total and retries.

export const ASSET_CACHE = 'vibe-opsy-assets-v1';

export interface DownloadProgress {
  what: 'engine' | 'model' | 'manifest';
  loaded: number;
  total?: number;
  /** 0 for the first try, then 1, 2, … */
  attempt: number;
  fromCache: boolean;
  /** Time since this try started, in ms (for the time left). */
  elapsedMs: number;
}

export interface CachedFetchOptions {
  onProgress?: (p: DownloadProgress) => void;
  /** Uncompressed sizes by file stem (e.g. "sklesion_w8"), for a total when the server compresses. */
  sizes?: Record<string, number>;
  retries?: number;
  /** Delay before retry `n` (1-based), in ms. */
  backoffMs?: (n: number) => number;
  fetchImpl?: typeof fetch;
  caches?: CacheStorage;
}

export function kindOf(url: string): DownloadProgress['what'] {
  if (/\.wasm(\?|$)/.test(url)) return 'engine';
  if (/\.onnx(\?|$)/.test(url)) return 'model';
  return 'manifest';
}

/** "assets/sklesion_w8-DQXiBkAX.onnx" → "sklesion_w8" (Vite's hash removed). */
export function stemOf(url: string): string {
  const name = new URL(url, 'http://x/').pathname.split('/').pop() ?? '';
  return name.replace(/\.[a-z0-9]+$/i, '').replace(/-[A-Za-z0-9_-]{8}$/, '');
}

async function readWithProgress(response: Response, report: (loaded: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    report(loaded);
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `fetch` for the classifier package: content-hashed engine and model URLs come from Cache Storage
 * when present, else from the network (retried), and are then stored, replacing older versions of
 * the same file.
 */
export function cachedFetch(options: CachedFetchOptions = {}): typeof fetch {
  const {
    onProgress,
    sizes = {},
    retries = 4,
    backoffMs = (n) => 500 * 2 ** (n - 1),
    fetchImpl = globalThis.fetch.bind(globalThis),
    caches: cacheStorage = globalThis.caches,
  } = options;
  return async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, globalThis.location?.href).href;
    const what = kindOf(url);
    const cacheable = what !== 'manifest' && cacheStorage !== undefined;
    const cache = cacheable ? await cacheStorage.open(ASSET_CACHE).catch(() => undefined) : undefined;
    const hit = await cache?.match(url);
    if (hit) {
      // Handed over as the cache gives it: the engine then compiles while it streams, and V8 can
      // reuse its compiled code for a response from Cache Storage.
      const size = Number(hit.headers.get('content-length')) || undefined;
      onProgress?.({ what, loaded: size ?? 0, total: size, attempt: 0, fromCache: true, elapsedMs: 0 });
      return hit;
    }
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt));
      const started = performance.now();
      try {
        const response = await fetchImpl(url);
        // A server error is an answer, not a dropped connection: the package reports it.
        if (!response.ok) return response;
        const encoded = response.headers.get('content-encoding');
        const length = Number(response.headers.get('content-length')) || undefined;
        const total = encoded && encoded !== 'identity' ? sizes[stemOf(url)] : (length ?? sizes[stemOf(url)]);
        const bytes = await readWithProgress(response, (loaded) => onProgress?.({ what, loaded, total, attempt, fromCache: false, elapsedMs: performance.now() - started }));
        const headers = new Headers({
          'content-type': response.headers.get('content-type') ?? 'application/octet-stream',
          'content-length': String(bytes.byteLength),
        });
        if (cache) {
          // Older versions of the same file (other hashes) go: the device keeps one engine, one model.
          const stem = stemOf(url);
          for (const old of await cache.keys()) {
            if (old.url !== url && stemOf(old.url) === stem) await cache.delete(old);
          }
          // Awaited: the device is ready offline once the first answer is there (a reload at once, or
          // a tab closed right after it, must find the file).
          await cache.put(url, new Response(bytes.slice(), { headers })).catch(() => undefined);
        }
        return new Response(bytes, { headers });
      } catch (e) {
        lastError = e;
      }
    }
    throw lastError;
  };
}
