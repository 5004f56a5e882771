export * from './lib/order';
export * from './lib/metrics';
export * from './lib/pacer';
export * from './lib/replay';
export * from './lib/batch';
export * from './lib/source-bound';
export * from './lib/source-breakdown';
export * from './lib/plan-on-truth';
