export * from './lib/replica.service';
export * from './lib/replica.module';
export * from './lib/replica-pacing';
