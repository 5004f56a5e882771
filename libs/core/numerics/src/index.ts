export * from './lib/rng';
export * from './lib/normal';
export * from './lib/checks';
