import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PriceEvent } from '@llm-router/contracts';
import { ModelProviders } from './model-providers';
import { ReplayProvider } from './replay-provider';
import { rebilledCostUsd } from './token-estimator';

const price = (model: string, inputPerM: number, outputPerM: number, p: Partial<PriceEvent> = {}): PriceEvent => ({
  model,
  inputPerM,
  outputPerM,
  effectiveFrom: new Date().toISOString(),
  source: 'test',
  selfHosted: false,
  discountTiers: [],
  ...p,
});

describe('ReplayProvider billing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-provider-'));
  const data = join(dir, 'rows.jsonl');
  writeFileSync(
    data,
    JSON.stringify({ prompt: 'hi', arms: { a: { reward: 0.9, cost: 0.002 }, b: { reward: 0.5, cost: 0.0004 } } }) +
      '\n',
  );
  const models = join(dir, 'models.json');
  writeFileSync(models, JSON.stringify({ models: [{ model_id: 'a', input_cost_per_m: 1, output_cost_per_m: 3 }] }));
  const via = (provider: ReplayProvider) =>
    new ModelProviders({
      fallback: provider,
      breaker: { failureThreshold: 3, coolDownMs: 1000 },
      retries: 0,
      timeoutMs: 1000,
      queueTimeoutMs: 1000,
    });
  const user = [{ role: 'user' as const, content: 'hi' }];

  it("bills the dataset's cost rescaled to the price in force when it knows the dataset's prices", async () => {
    const providers = via(ReplayProvider.fromFile(data, models));
    // The dataset's prices: its own figure, exactly.
    expect((await providers.call(price('a', 1, 3), { model: 'a', messages: user }, 'hi')).costUsd).toBe(0.002);
    // A 98% price cut: 2% of it, as the replay's price-cut scenario bills it.
    expect((await providers.call(price('a', 0.02, 0.06), { model: 'a', messages: user }, 'hi')).costUsd).toBeCloseTo(
      0.00004,
      15,
    );
    // A model the file does not price keeps the dataset's figure.
    expect((await providers.call(price('b', 5, 5), { model: 'b', messages: user }, 'hi')).costUsd).toBe(0.0004);
  });

  it("bills the dataset's figure whatever the price without the dataset's prices", async () => {
    const providers = via(ReplayProvider.fromFile(data));
    expect((await providers.call(price('a', 0.02, 0.06), { model: 'a', messages: user }, 'hi')).costUsd).toBe(0.002);
  });

  it('rebills by the blend of input and output prices, never a self-hosted or free reference', () => {
    expect(rebilledCostUsd(1, { inputPerM: 1, outputPerM: 1 }, { inputPerM: 2, outputPerM: 0 })).toBeCloseTo(0.5, 15);
    expect(rebilledCostUsd(1, { inputPerM: 0, outputPerM: 0 }, { inputPerM: 2, outputPerM: 2 })).toBe(1);
    expect(rebilledCostUsd(1, { inputPerM: 1, outputPerM: 1 }, { inputPerM: 2, outputPerM: 2, perCallUsd: 0.1 })).toBe(
      1,
    );
    expect(rebilledCostUsd(1, undefined, { inputPerM: 2, outputPerM: 2 })).toBe(1);
  });
});
