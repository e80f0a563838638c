/** A request the API server refused; `message` is the server's own explanation. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    message: string,
    readonly statusCode: number,
    /** The Status reason, e.g. 'NotFound', 'Conflict', 'Invalid', 'AlreadyExists'. */
    readonly reason: string,
    readonly body: unknown,
  ) {
    super(message);
  }

  static fromResponse(method: string, path: string, statusCode: number, body: unknown, text: string): KubeApiError {
    const status = body as { message?: string; reason?: string } | undefined;
    const detail = status?.message ?? (text.slice(0, 500) || `HTTP ${statusCode}`);
    return new KubeApiError(`${method} ${path}: ${statusCode} ${detail}`, statusCode, status?.reason ?? '', body);
  }

  get isConflict(): boolean {
    return this.statusCode === 409;
  }
  get isNotFound(): boolean {
    return this.statusCode === 404;
  }
}
