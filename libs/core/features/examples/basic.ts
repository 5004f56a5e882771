// Run: npx tsx libs/core/features/examples/basic.ts
import {
  CombinedFeaturizer,
  DENSE_FEATURES,
  EmbeddingsProvider,
  QueryFeaturizer,
  detectIntent,
  detectScript,
} from '../src'; // in your code: '@llm-router/features'

const prompts = [
  'Write a python function to check if the given integer is a prime number.',
  'Bea sells lemonade at 25 cents and Dawn at 28 cents. Bea sold 10 glasses and Dawn 8. How much more did Bea earn?',
  'Question: What happens after something dies?\nChoices: (A) chance, (B) rot, (C) luck, (D) magic\nAnswer with the correct option.',
  'Напиши короткое стихотворение об осени.',
];

const f = new QueryFeaturizer({ dim: 64, seed: 0 });
for (const p of prompts) {
  const x = f.featurize(p);
  const dense = DENSE_FEATURES.map((name, i) => [name, +x[i].toFixed(3)]).filter(([, v]) => v !== 0);
  console.log(
    `${detectIntent(p).padEnd(10)} ${detectScript(p).padEnd(9)} ${JSON.stringify(Object.fromEntries(dense))}`,
  );
}
console.log('non-zero entries of the first prompt:', Object.keys(f.featurizeSparse(prompts[0])).length, 'of', f.dim);

// Any EmbeddingsProvider can be appended (OpenAiEmbeddingsProvider from @llm-router/providers in
// production); a toy one here so that the example needs no network.
const toy: EmbeddingsProvider = {
  dim: 256,
  embed: async (texts) =>
    texts.map((t) => Float64Array.from({ length: 256 }, (_, i) => Math.sin(i * ((t.length % 17) + 1)))),
};
const combined = new CombinedFeaturizer({ provider: toy, base: f, projectTo: 16, seed: 1 });
combined.featurizeMany(prompts).then((xs) => console.log('combined dim:', combined.dim, 'vectors:', xs.length));
