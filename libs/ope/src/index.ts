export * from './lib/ope';
