// A second entry point without NestJS, for code that tools load under tsx (see
// libs/io/kafka/src/partitioned-send.ts): the lib's index pulls in decorated classes.
export * from './lib/event-loop-slice';
