import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KafkaModule } from '@llm-router/kafka';
import { AnswerStore, PersistenceModule, PromptStore } from '@llm-router/persistence';
import { ChatProvider, ModelProviders, OpenAiChatProvider, ReplayProvider } from '@llm-router/providers';
import {
  HealthRegistry,
  kafkaConnectionOf,
  MetricsService,
  policyOptionsFromEnv,
  ServiceCoreModule,
} from '@llm-router/service';
import { PinoLogger } from 'nestjs-pino';
import { RouterConfig } from './config';
import { ReplicaModule } from '@llm-router/replica';
import { CHAT_PROVIDER, RoutingService } from './routing/routing.service';
import { EMBEDDINGS, routerEmbeddings } from './routing/embeddings';
import { QueryBatchConsumer } from './routing/query-batch-consumer';
import { OpenAiController } from './openai/openai.controller';
import { AuthModule } from './auth/auth.module';
import { AnswerFeedback } from './feedback/answer-feedback.service';

@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: RouterModule,
      imports: [
        ServiceCoreModule.forRoot('router', config),
        KafkaModule.forRoot(kafkaConnectionOf(config), {
          sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS,
          retries: config.KAFKA_SEND_RETRIES,
        }),
        // router_answers (the idempotency record of each answered query) and, with STORE_PROMPTS, stored_prompts.
        PersistenceModule.forRootAsync({ useFactory: () => ({ databaseUrl: config.DATABASE_URL }) }),
        ReplicaModule.forRoot({
          service: 'router',
          ...policyOptionsFromEnv(config),
          budgetPerQuery: config.BUDGET_PER_QUERY_USD ?? null,
          pacerPayback: config.PACER_PAYBACK_QUERIES,
          warmStartFile: config.WARM_START_FILE,
        }),
        AuthModule.forRoot(),
      ],
      controllers: [OpenAiController],
      providers: [
        RoutingService,
        AnswerFeedback,
        QueryBatchConsumer,
        { provide: AnswerStore, inject: [DataSource], useFactory: (ds: DataSource) => new AnswerStore(ds) },
        { provide: PromptStore, inject: [DataSource], useFactory: (ds: DataSource) => new PromptStore(ds) },
        {
          provide: CHAT_PROVIDER,
          useFactory: () =>
            config.PROVIDER === 'replay'
              ? ReplayProvider.fromFile(config.REPLAY_DATASET!, config.REPLAY_PRICES_FILE)
              : new OpenAiChatProvider({
                  baseUrl: config.OPENAI_BASE_URL!,
                  apiKey: config.OPENAI_API_KEY,
                  timeoutMs: config.PROVIDER_TIMEOUT_MS,
                  retries: config.PROVIDER_RETRIES,
                }),
        },
        {
          provide: EMBEDDINGS,
          inject: [MetricsService, PinoLogger, HealthRegistry],
          useFactory: (metrics: MetricsService, log: PinoLogger, health: HealthRegistry) =>
            routerEmbeddings(config, metrics, log, health),
        },
        {
          provide: ModelProviders,
          inject: [CHAT_PROVIDER, HealthRegistry],
          useFactory: (fallback: ChatProvider, health: HealthRegistry) => {
            const providers = new ModelProviders({
              fallback,
              breaker: {
                failureThreshold: config.PROVIDER_BREAKER_FAILURES,
                coolDownMs: config.PROVIDER_BREAKER_COOLDOWN_MS,
              },
              retries: config.PROVIDER_RETRIES,
              timeoutMs: config.PROVIDER_TIMEOUT_MS,
              queueTimeoutMs: config.PROVIDER_QUEUE_TIMEOUT_MS,
              defaultMaxTokens: config.DEFAULT_MAX_TOKENS,
            });
            // Informative: an open circuit is routed around, restarting would not close it.
            health.register('providers', () => ({ models: providers.summary() }));
            return providers;
          },
        },
      ],
    };
  }
}
