// Run: npx tsx libs/core/pareto/examples/basic.ts
import {
  FrontierTracker,
  lambdaForCost,
  mixForCost,
  paretoFrontier,
  pickByBudget,
  pickByMinQuality,
  upperHull,
} from '../src'; // in your code: '@llm-router/pareto'

// Mean quality and mean cost per query of four models (ParetoBandit-like numbers).
const models = [
  { id: 'llama-3.1-8b', quality: 0.79, cost: 0.00003 },
  { id: 'mistral-large', quality: 0.925, cost: 0.0005 },
  { id: 'gemini-2.5-pro', quality: 0.935, cost: 0.015 },
  { id: 'some-old-model', quality: 0.9, cost: 0.004 },
];

const { frontier, dominated } = paretoFrontier(models);
console.log(
  'frontier:',
  frontier.map((p) => p.id),
  'dominated:',
  dominated.map((p) => p.id),
);
console.log('best under $0.001:', pickByBudget(frontier, 0.001)?.id);
console.log('cheapest with quality >= 0.9:', pickByMinQuality(frontier, 0.9)?.id);
console.log(
  'hull:',
  upperHull(models).map((p) => p.id),
);

const mix = mixForCost(models, 0.002);
console.log('to average $0.002/query:', mix.probabilities, 'expected quality', mix.expectedQuality.toFixed(4));
console.log('dual price (lambda) of that budget:', lambdaForCost(models, 0.002).toFixed(3));

const tracker = new FrontierTracker();
tracker.setMany(models);
console.log('price cut moves the frontier?', tracker.setPrice('some-old-model', 0.0002).changed);
console.log('tiny quality drift moves it?', tracker.setQuality('mistral-large', 0.926).changed);
