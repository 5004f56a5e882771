import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule } from '@llm-router/kafka';
import { OpenAiChatProvider, ReplayProvider } from '@llm-router/providers';
import { policyOptionsFromEnv, ServiceCoreModule } from '@llm-router/service';
import { RouterConfig } from './config';
import { ReplicaModule } from '@llm-router/replica';
import { CHAT_PROVIDER, RoutingService } from './routing/routing.service';
import { QueriesController } from './routing/queries.controller';
import { OpenAiController } from './openai/openai.controller';

@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: RouterModule,
      imports: [
        ServiceCoreModule.forRoot('router', config),
        KafkaModule.forRoot({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID }),
        ReplicaModule.forRoot({ service: 'router', ...policyOptionsFromEnv(config) }),
      ],
      controllers: [QueriesController, OpenAiController],
      providers: [
        RoutingService,
        {
          provide: CHAT_PROVIDER,
          useFactory: () =>
            config.PROVIDER === 'replay'
              ? ReplayProvider.fromFile(config.REPLAY_DATASET!)
              : new OpenAiChatProvider({
                  baseUrl: config.OPENAI_BASE_URL!,
                  apiKey: config.OPENAI_API_KEY,
                  timeoutMs: config.PROVIDER_TIMEOUT_MS,
                  retries: config.PROVIDER_RETRIES,
                }),
        },
      ],
    };
  }
}
