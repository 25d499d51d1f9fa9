/** Podman answered, but not with a status the call expects. `cause` is libpod's short reason. */
export class PodmanApiError extends Error {
  constructor(
    readonly status: number,
    readonly podmanCause: string,
    readonly podmanMessage: string,
    readonly endpoint: string,
  ) {
    super(`podman ${endpoint} -> ${status}: ${podmanMessage || podmanCause || 'no message'}`);
    this.name = 'PodmanApiError';
  }

  /**
   * Podman 4.3 answers 500 to many client errors, so decide by libpod's `cause` as well as by status.
   */
  get isNoSuchContainer(): boolean {
    return this.status === 404 || /no such container/i.test(this.podmanCause);
  }

  get isNoSuchImage(): boolean {
    return /no such image|image not known/i.test(`${this.podmanCause} ${this.podmanMessage}`);
  }

  /**
   * The OCI runtime could not start the command: not found in the image, not executable, or (a
   * name so long that conmon cuts runc's report) only runc's "exec:" prefix survives.
   */
  get isCommandNotRunnable(): boolean {
    return /OCI runtime attempted to invoke a command that was not found|OCI permission denied|unable to start container process: exec: /i.test(
      `${this.podmanCause} ${this.podmanMessage}`,
    );
  }

  get isNameInUse(): boolean {
    return /name.* in use|already in use/i.test(`${this.podmanCause} ${this.podmanMessage}`);
  }
}

/** The Podman socket could not be reached at all (refused, missing, timed out, reset). */
export class PodmanUnavailableError extends Error {
  constructor(readonly endpoint: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`podman is unavailable (${endpoint}): ${reason}`, options);
    this.name = 'PodmanUnavailableError';
  }
}

/** `{"cause","message","response"}` from libpod, tolerating anything else. */
export function parseLibpodError(body: unknown): { cause: string; message: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    return {
      cause: typeof b.cause === 'string' ? b.cause : '',
      message: typeof b.message === 'string' ? b.message : '',
    };
  }
  if (typeof body === 'string') return { cause: '', message: body.slice(0, 500) };
  return { cause: '', message: '' };
}
