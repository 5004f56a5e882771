export * from './lib/entities';
export * from './lib/migrations';
export * from './lib/data-source';
export * from './lib/offset-store';
export * from './lib/answer-store';
export * from './lib/prompt-store';
export * from './lib/persistence.module';
