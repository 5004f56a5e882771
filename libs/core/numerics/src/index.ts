export * from './lib/rng';
export * from './lib/normal';
