// npx tsx libs/core/pricing/examples/basic.ts
import { CostModel } from '../src';

const costs = new CostModel();
costs.setPrice({ model: 'gemini-2.5-pro', inputPerM: 1.25, outputPerM: 10 });
costs.observe('gemini-2.5-pro', 0.035); // one call cost 3.5 cents
console.log('expected cost', costs.expectedCost('gemini-2.5-pro'));
costs.setPrice({ model: 'gemini-2.5-pro', inputPerM: 1.25, outputPerM: 10, costFactor: 0.02 }); // a 98% price cut
console.log('after the price cut', costs.expectedCost('gemini-2.5-pro'));
