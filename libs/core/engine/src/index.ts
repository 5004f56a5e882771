export * from './lib/scope-engine';
export * from './lib/decision-id';
export * from './lib/engine-registry';
export * from './lib/warm-start';
