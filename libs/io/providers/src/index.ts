export * from './lib/chat-provider';
export * from './lib/replay-provider';
export * from './lib/openai-chat';
export * from './lib/openai-embeddings';
