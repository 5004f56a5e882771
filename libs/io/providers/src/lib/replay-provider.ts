import { readFileSync } from 'node:fs';
import { DatasetRow, parseDataset } from '@llm-router/contracts';
import { ChatProvider, ChatRequest, ChatResult, ChunkSink, ProviderError } from './chat-provider';
import { chunkOf } from './stream';

/**
 * Answers from a reward dataset instead of calling a model: the "answer" names the model and
 * the row, and the dataset's cost of that call is its cost. Used by the demo, e2e and
 * evaluation, where the judged quality of the same (row, model) comes back as feedback.
 */
export class ReplayProvider implements ChatProvider {
  readonly name = 'replay';
  private readonly byPrompt = new Map<string, number>();

  constructor(readonly rows: DatasetRow[]) {
    rows.forEach((r, i) => this.byPrompt.set(r.prompt, i));
  }

  static fromFile(path: string): ReplayProvider {
    return new ReplayProvider(parseDataset(readFileSync(path, 'utf8')));
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
      latencyMs: performance.now() - t0,
    };
  }
}
