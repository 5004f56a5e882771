// A second entry point without NestJS: tools run under tsx, which enables decorators only for
// the files the root tsconfig includes, so they cannot load the lib's index (kafka.module.ts).
export * from './lib/partitioned-send';
