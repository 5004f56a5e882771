export * from './lib/pareto';
