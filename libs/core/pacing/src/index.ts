export * from './lib/budget-pacer';
export * from './lib/spend-ledger';
export * from './lib/query-pacer';
export * from './lib/fleet-budget';
