// npx tsx libs/core/engine/examples/basic.ts
import { validate, Topic } from '@llm-router/contracts';
import { QueryFeaturizer } from '@llm-router/features';
import { ScopeEngine } from '../src';

const engine = new ScopeEngine(
  'default',
  { algorithm: 'thompson', featureDim: 64, seed: 1, defaultLambda: 50 },
  new QueryFeaturizer({ dim: 64 }),
);
for (const [model, perM] of [
  ['small', 0.1],
  ['large', 10],
] as const) {
  engine.applyPrice({
    model,
    inputPerM: perM,
    outputPerM: perM,
    effectiveFrom: new Date().toISOString(),
    source: 'example',
    selfHosted: false,
    discountTiers: [],
  });
}
const q = validate(Topic.Queries, {
  id: 'q1',
  messages: [{ role: 'user', content: 'Prove that sqrt(2) is irrational.' }],
});
if (!q.ok) throw q.error;
const { event, ranking } = engine.decide(q.value);
console.log(event.arm, event.propensity.toFixed(3), ranking, event.priceSnapshot);
console.log(engine.learn(event, 0.9)); // { reward: 0.9 - 50 * cost, costUsd }
