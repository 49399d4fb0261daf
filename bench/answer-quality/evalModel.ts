/**
 * The engine's own answering path, in this process: the worker's model loader and PromptSession (same chat template,
 * same history, same KV-prefix reuse), one session per prompt style. Only the answer reserve is smaller.
 */
import { loadModel, type LoadedModel } from "../../src/engine/worker/modelLoader";
import { PromptSession } from "../../src/engine/worker/promptSession";
import { chatWrapperFor, type PromptStyle } from "../../src/engine/worker/promptStyle";

export interface EvalAnswer {
  readonly text: string;
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly generatedTokens: number;
  readonly ms: number;
}

export class EvalModel {
  private session: { key: string; value: PromptSession } | undefined;

  private constructor(readonly loaded: LoadedModel) {}

  static async load(modelPath: string, threads: number, flashAttention: boolean): Promise<EvalModel> {
    return new EvalModel(await loadModel({ modelPath, threads, gpu: "cpu", flashAttention }, () => undefined));
  }

  tokens(text: string): number {
    return this.loaded.model.tokenize(text, false).length;
  }

  async ask(style: PromptStyle, repoText: string, question: string, maxTokens: number): Promise<EvalAnswer> {
    const session = await this.sessionFor(style);
    const started = performance.now();
    const result = await session.ask(
      { repoContext: repoText, question, maxTokens, answer: style },
      new AbortController().signal,
      () => undefined,
      () => undefined,
    );
    return { text: result.text, promptTokens: result.promptTokens, reusedTokens: result.reusedTokens, generatedTokens: result.generatedTokens, ms: performance.now() - started };
  }

  /** Sessions differ by template and layout only; the answer settings are per answer, so they share the cached repo. */
  private async sessionFor(style: PromptStyle): Promise<PromptSession> {
    const key = `${style.template}/${style.repoIn}`;
    if (this.session?.key === key) return this.session.value;
    await this.session?.value.dispose();
    const wrapper = await chatWrapperFor(this.loaded.model, style.template);
    this.session = { key, value: new PromptSession(this.loaded, wrapper, undefined, style) };
    return this.session.value;
  }

  async dispose(): Promise<void> {
    await this.session?.value.dispose();
    await this.loaded.model.dispose();
    await this.loaded.llama.dispose();
  }
}
