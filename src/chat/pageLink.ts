/**
 * The handshake with a webview page: frames go out only once the page listens (it says so with any message, first
 * `ready`), and callers can wait for that. Pure (no `vscode`), so the handshake is unit-tested.
 */
export class PageLink {
  private ready = false;
  private readonly waiters = new Set<() => void>();

  get isReady(): boolean {
    return this.ready;
  }

  /** A new page was loaded (or the view closed): nothing goes out until it speaks. */
  reset(): void {
    this.ready = false;
  }

  /**
   * The page posted something: it listens now. Any message counts, not only `ready`: a page restoring its own
   * state asks about citations before it says ready.
   */
  heard(): void {
    this.ready = true;
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }

  /** Resolves true once the page listens, or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(onReady);
    });
  }
}
