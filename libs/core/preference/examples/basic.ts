// Run: npx tsx libs/core/preference/examples/basic.ts
import { QueryFeaturizer } from '@llm-router/features';
import { PreferenceRouter, pairsFromRewards } from '../src'; // in your code: '@llm-router/preference'

const f = new QueryFeaturizer({ dim: 64 });

// Full-information history: every model judged on the same prompts (e.g. a reward dataset).
const history = [
  { prompt: 'Write a python function to reverse a string.', rewards: { small: 0.4, large: 0.95, pro: 0.97 } },
  { prompt: 'Write a python function to count vowels in a word.', rewards: { small: 0.5, large: 0.9, pro: 0.95 } },
  {
    prompt: 'Tom has 3 apples and buys 4 more. How many apples does he have?',
    rewards: { small: 1, large: 1, pro: 1 },
  },
  {
    prompt: 'A shop sells 12 pens a day for 5 days. How many pens in total?',
    rewards: { small: 0.95, large: 1, pro: 0.9 },
  },
  {
    prompt: 'Question: Which gas do plants absorb?\nChoices: (A) O2, (B) CO2\nAnswer with the correct option.',
    rewards: { small: 0.6, large: 0.9, pro: 0.92 },
  },
];
const rows = [];
for (let i = 0; i < 40; i++)
  for (const h of history) rows.push({ features: f.featurize(h.prompt), rewards: h.rewards });
console.log('pairs derived:', pairsFromRewards(rows).length);

const router = new PreferenceRouter({ d: 64, epsilon: 0.05, seed: 2 });
console.log('offline fit:', router.fit(rows, { epochs: 10, lr: 0.1 }));

const costs = { small: 0.00003, large: 0.0005, pro: 0.015 };
for (const prompt of [
  'Write a python function to merge two sorted lists.',
  'Sara has 8 stickers and gives away 3. How many are left?',
]) {
  const ctx = { text: prompt }; // or { features: f.featurize(prompt) }
  const d = router.decide(ctx, ['small', 'large', 'pro'], { lambda: 200, costs });
  const est = Object.fromEntries(router.arms().map((a) => [a, +router.estimate(ctx, a).mean.toFixed(3)]));
  console.log(
    `${prompt.slice(0, 40).padEnd(40)} -> ${d.arm} (p=${d.propensity.toFixed(3)}) estimates ${JSON.stringify(est)}`,
  );
  // Bandit feedback: only the chosen model's judged quality comes back.
  router.update(ctx, d.arm, { quality: 0.9, costUsd: costs[d.arm as keyof typeof costs] });
}

// Pairwise feedback (a user preferred one of two answers) also trains it.
router.observePreference({ text: 'Summarise this email in one line: ...' }, 'large', 'small');
console.log('state bytes:', JSON.stringify(router.toState()).length);
