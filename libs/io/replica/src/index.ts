export * from './lib/replica.service';
export * from './lib/replica.module';
