import { ModelsFile, modelsFilePrices } from './dataset';

describe('models files', () => {
  it('gives each model its list prices per million tokens, a self-hosted one with its concurrency', () => {
    const file = ModelsFile.parse({
      models: [
        { model_id: 'a/small', display: 'Small', input_cost_per_m: 0.1, output_cost_per_m: 0.2 },
        { model_id: 'own/gpu', input_cost_per_m: 0, output_cost_per_m: 0, self_hosted: true, concurrency: 4 },
      ],
    });
    expect(modelsFilePrices(file)).toEqual([
      { model: 'a/small', inputPerM: 0.1, outputPerM: 0.2, selfHosted: undefined, concurrency: undefined },
      { model: 'own/gpu', inputPerM: 0, outputPerM: 0, selfHosted: true, concurrency: 4 },
    ]);
  });

  it('refuses a file without models or with a negative price', () => {
    expect(ModelsFile.safeParse({ models: [] }).success).toBe(false);
    expect(
      ModelsFile.safeParse({ models: [{ model_id: 'x', input_cost_per_m: -1, output_cost_per_m: 1 }] }).success,
    ).toBe(false);
  });
});
