export * from './lib/problem';
export * from './lib/heuristic';
export * from './lib/ilp';
export * from './lib/solve';
export * from './lib/random-instance';
export * from './lib/window';
