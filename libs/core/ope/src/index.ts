export * from './lib/types';
export * from './lib/stats';
export * from './lib/estimators';
export * from './lib/gate';
export * from './lib/policies';
export * from './lib/synthetic';
export * from './lib/decision-log';
