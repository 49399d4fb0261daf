/**
 * Which cited paths are workspace files: known good, known bad, and the ones asked about. The page asks the
 * extension once per unknown path and settles every pending marker for it when the answer comes.
 */
import { MAX_CITATION_PATHS } from "../src/chat/protocol";
import { settleCitations, type CitationState } from "./render";

export class CitationResolver {
  private readonly ok = new Set<string>();
  private readonly no = new Set<string>();
  private readonly asked = new Set<string>();
  /** Paths of each request still waiting for its answer, by request id. */
  private readonly requests = new Map<string, string[]>();

  constructor(
    private readonly root: ParentNode,
    private readonly ask: (id: string, paths: string[]) => void,
    private readonly newId: () => string,
  ) {}

  readonly state = (path: string): CitationState => (this.ok.has(path) ? "ok" : this.no.has(path) ? "no" : "pending");

  /** Asks about the paths neither known nor already asked about. */
  readonly resolve = (paths: Set<string>): void => {
    const unknown = [...paths].filter((p) => this.state(p) === "pending" && !this.asked.has(p));
    if (unknown.length === 0) return;
    unknown.forEach((p) => this.asked.add(p));
    // The extension refuses a longer list (the whole batch stayed "pending" past 500 paths), so ask in parts.
    for (let at = 0; at < unknown.length; at += MAX_CITATION_PATHS) {
      const id = this.newId();
      const paths = unknown.slice(at, at + MAX_CITATION_PATHS);
      this.requests.set(id, paths);
      this.ask(id, paths);
    }
  };

  /** Answers to requests made before a restore may never come (a reloaded host): forget them, ask again. */
  forgetRequests(): void {
    this.asked.clear();
    this.requests.clear();
  }

  settle(requestId: string, resolved: readonly string[]): void {
    const asked = this.requests.get(requestId);
    if (!asked) return;
    this.requests.delete(requestId);
    const ok = new Set(resolved);
    for (const path of asked) {
      this.asked.delete(path);
      (ok.has(path) ? this.ok : this.no).add(path);
      settleCitations(this.root, path, ok.has(path));
    }
  }
}
