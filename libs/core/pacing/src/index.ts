export * from './lib/budget-pacer';
export * from './lib/spend-ledger';
