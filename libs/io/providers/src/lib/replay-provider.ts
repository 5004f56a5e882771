import { readFileSync } from 'node:fs';
import { DatasetRow, ModelsFile, modelsFilePrices, parseDataset } from '@llm-router/contracts';
import { ChatProvider, ChatRequest, ChatResult, ChunkSink, ProviderError } from './chat-provider';
import { chunkOf } from './stream';
import type { CallPrice } from './token-estimator';

/**
 * Answers from a reward dataset instead of calling a model: the "answer" names the model and
 * the row, and the dataset's cost of that call is its cost. Used by the demo, e2e and
 * evaluation, where the judged quality of the same (row, model) comes back as feedback.
 */
export class ReplayProvider implements ChatProvider {
  readonly name = 'replay';
  private readonly byPrompt = new Map<string, number>();

  /**
   * `billedAt`: the list prices the dataset's costs were billed at (its models file). With them a
   * call's cost follows the price in force (ChatResult.billedAt): a price cut or a model added at
   * another price costs what it says, as the replay's scenarios bill it. Without, every call costs
   * the dataset's figure whatever the prices.
   */
  constructor(
    readonly rows: DatasetRow[],
    private readonly billedAt: ReadonlyMap<string, CallPrice> = new Map(),
  ) {
    rows.forEach((r, i) => this.byPrompt.set(r.prompt, i));
  }

  static fromFile(path: string, modelsFile?: string): ReplayProvider {
    const prices = modelsFile ? pricesOf(ModelsFile.parse(JSON.parse(readFileSync(modelsFile, 'utf8')))) : undefined;
    return new ReplayProvider(parseDataset(readFileSync(path, 'utf8')), prices);
  }

  models(): string[] {
    return Object.keys(this.rows[0]?.arms ?? {});
  }

  rowOf(req: Pick<ChatRequest, 'datasetRow' | 'messages'>): number {
    if (req.datasetRow !== undefined) {
      if (req.datasetRow >= this.rows.length)
        throw new ProviderError(`dataset has no row ${req.datasetRow}`, false, 400);
      return req.datasetRow;
    }
    const prompt = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const i = this.byPrompt.get(prompt);
    if (i === undefined) throw new ProviderError('replay provider: prompt not in the dataset', false, 400);
    return i;
  }

  /** The judged quality of `model` on a row: what a judge would send back as feedback. */
  quality(row: number, model: string): number | undefined {
    return this.rows[row]?.arms[model]?.reward;
  }

  /** Streamed, the answer comes word by word, in several chunks, as a model's would. */
  async complete(req: ChatRequest, _signal?: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult> {
    const t0 = performance.now();
    const row = this.rowOf(req);
    const arm = this.rows[row].arms[req.model];
    if (!arm) throw new ProviderError(`replay provider: model ${req.model} has no answer for row ${row}`, false, 404);
    const output = `[replay ${req.model} row ${row}]`;
    if (onChunk) {
      const id = `chatcmpl-replay-${row}`;
      onChunk(chunkOf(id, req.model, { role: 'assistant', content: '' }));
      for (const word of output.split(/(?<= )/)) {
        // A turn of the event loop between chunks: they leave as separate writes, as a model's do.
        await new Promise((r) => setImmediate(r));
        onChunk(chunkOf(id, req.model, { content: word }));
      }
      onChunk(chunkOf(id, req.model, {}, 'stop'));
    }
    return {
      output,
      finishReason: 'stop',
      costUsd: arm.cost,
      ...(this.billedAt.has(req.model) && { billedAt: this.billedAt.get(req.model) }),
      latencyMs: performance.now() - t0,
    };
  }
}

/** A models file's list prices by model (a self-hosted one at no per-token price: never rescaled). */
function pricesOf(file: ModelsFile): Map<string, CallPrice> {
  return new Map(
    modelsFilePrices(file)
      .filter((p) => !p.selfHosted)
      .map((p) => [p.model, { inputPerM: p.inputPerM, outputPerM: p.outputPerM }]),
  );
}
