export * from './lib/kafka-client';
export * from './lib/producer';
export * from './lib/dead-letter';
export * from './lib/topic-consumer';
export * from './lib/co-partitioned-assignor';
export * from './lib/kafka.module';
export * from './lib/topic-directory';
export * from './lib/deadline';
