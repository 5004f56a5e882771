export * from './lib/infra';
