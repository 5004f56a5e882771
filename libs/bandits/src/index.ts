export * from './lib/policy';
export * from './lib/rng';
export * from './lib/eligibility';
export * from './lib/random-policy';
