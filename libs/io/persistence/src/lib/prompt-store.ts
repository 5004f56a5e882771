import { DataSource } from 'typeorm';

export interface StoredPrompt {
  scope: string;
  requestId: string;
  decisionId: string | null;
  messages: unknown;
}

/** Table stored_prompts, written a batch at a time; a prompt already stored is kept (the first wins). */
export class PromptStore {
  constructor(private readonly ds: DataSource) {}

  async save(prompts: StoredPrompt[]): Promise<void> {
    if (prompts.length === 0) return;
    await this.ds.query(
      `INSERT INTO stored_prompts (scope, request_id, decision_id, messages)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (scope, request_id) DO NOTHING`,
      [
        prompts.map((p) => p.scope),
        prompts.map((p) => p.requestId),
        prompts.map((p) => p.decisionId),
        prompts.map((p) => JSON.stringify(p.messages)),
      ],
    );
  }
}
