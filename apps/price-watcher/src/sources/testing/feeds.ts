/** Price feeds as the price-watcher's sources read them, shared by their unit and integration specs. */

// The shape of ../shared/data/paretobandit/models_k3.json, extra fields included.
export const K3 = {
  models: [
    {
      model_id: 'meta-llama/llama-3.1-8b-instruct',
      display: 'Llama-3.1-8B',
      input_cost_per_m: 0.1,
      output_cost_per_m: 0.1,
      context_length: 128000,
      capabilities: ['general'],
    },
    { model_id: 'mistralai/mistral-large-2512', input_cost_per_m: 0.5, output_cost_per_m: 1.5 },
    { model_id: 'google/gemini-2.5-pro', input_cost_per_m: 1.25, output_cost_per_m: 10.0 },
  ],
};

// Abridged from https://openrouter.ai/api/v1/models
export const FEED = {
  data: [
    {
      id: 'openai/gpt-4o-mini',
      name: 'GPT-4o-mini',
      pricing: { prompt: '0.00000015', completion: '0.0000006', request: '0', image: '0.000217' },
    },
    { id: 'google/gemini-2.5-pro', pricing: { prompt: '0.00000125', completion: '0.00001' } },
    { id: 'meta-llama/llama-3.1-8b-instruct:free', pricing: { prompt: '0', completion: '0' } },
    { id: 'openrouter/auto', pricing: { prompt: '-1', completion: '-1' } },
  ],
};
