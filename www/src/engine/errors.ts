// Errors the engines report to the UI.

/** A classification failed; `code` is the core's stable code (or an engine code). */
export class EngineError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

export function abortError(): DOMException {
  return new DOMException('the classification was cancelled', 'AbortError');
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
