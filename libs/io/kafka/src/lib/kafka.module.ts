import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { createKafka, fetchMaxWaitOf, KafkaConnection, kafkaLogCreator, kafkaSecurityOptions } from './kafka-client';
import { MessageProducer, MessageProducerOptions } from './producer';
import { TopicConsumer, TopicConsumerOptions } from './topic-consumer';
import { PoisonGuard, PoisonGuardOptions } from './poison-guard';
import { DeadLetterReason } from './dead-letter';
import { APP_CONFIG, ConsumerRetryConfig, MetricsService } from '@llm-router/service';

export const KAFKA = Symbol('KAFKA');
export const KAFKA_CONNECTION = Symbol('KAFKA_CONNECTION');

/**
 * Creates consumers bound to the app's Kafka client and producer, and stops them at shutdown.
 * Every consumer it makes, and every guard it hands to an @EventPattern handler, retries a
 * failing message as the service's CONSUMER_RETRIES / CONSUMER_RETRY_BACKOFF_MS say, then
 * dead-letters it and counts it in `kafka_dead_letters_total{topic,reason}`.
 */
@Injectable()
export class KafkaService implements OnApplicationShutdown {
  private readonly consumers: TopicConsumer[] = [];
  private readonly poison: PoisonGuardOptions;

  constructor(
    @Inject(KAFKA) readonly kafka: Kafka,
    readonly producer: MessageProducer,
    private readonly logger: PinoLogger,
    @Optional() @Inject(APP_CONFIG) config?: Partial<ConsumerRetryConfig>,
    @Optional() metrics?: MetricsService,
  ) {
    const deadLetters = metrics?.counter(
      'kafka_dead_letters_total',
      'Messages parked on <topic>.dlq, by source topic and reason (schema, database, processing)',
      ['topic', 'reason'],
    );
    this.poison = {
      retry:
        config?.CONSUMER_RETRIES !== undefined && config.CONSUMER_RETRY_BACKOFF_MS !== undefined
          ? { retries: config.CONSUMER_RETRIES, backoffMs: config.CONSUMER_RETRY_BACKOFF_MS }
          : undefined,
      onDeadLetter: (topic: string, reason: DeadLetterReason) => deadLetters?.inc({ topic, reason }),
      log: logger.logger,
    };
  }

  consumer(opts: Omit<TopicConsumerOptions, 'log' | 'retry' | 'onDeadLetter'>): TopicConsumer {
    const c = new TopicConsumer(this.kafka, this.producer, { ...opts, ...this.poison });
    this.consumers.push(c);
    return c;
  }

  /** For an @EventPattern handler: decode, bounded retry, dead-letter; `consumer` names it in the letters. */
  guard(consumer: string): PoisonGuard {
    return new PoisonGuard(this.producer, consumer, this.poison);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.producer.disconnect();
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(conn: KafkaConnection, producerOptions: MessageProducerOptions = {}): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_CONNECTION, useValue: conn },
        { provide: KAFKA, inject: [PinoLogger], useFactory: (log: PinoLogger) => createKafka(conn, log.logger) },
        {
          provide: MessageProducer,
          inject: [KAFKA],
          useFactory: async (kafka: Kafka) => {
            const p = new MessageProducer(kafka, producerOptions);
            await p.connect();
            return p;
          },
        },
        KafkaService,
      ],
      exports: [KAFKA, KAFKA_CONNECTION, MessageProducer, KafkaService],
    };
  }
}

/**
 * Options for the Kafka side of a hybrid app (@nestjs/microservices): the work-queue topic
 * a service's @EventPattern handlers consume in one consumer group shared by its replicas.
 */
export function kafkaMicroserviceOptions(
  conn: KafkaConnection,
  groupId: string,
  log?: Parameters<typeof kafkaLogCreator>[0],
): MicroserviceOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: {
        clientId: `${conn.clientId}-server`,
        brokers: conn.brokers,
        ...kafkaSecurityOptions(conn),
        retry: { retries: 8, initialRetryTime: 200 },
        logLevel: logLevel.WARN,
        logCreator: kafkaLogCreator(log),
      },
      consumer: {
        groupId,
        sessionTimeout: 15000,
        heartbeatInterval: 1500,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: fetchMaxWaitOf(conn),
      },
      // Without a committed offset a partition is read from its start (as the router's llm.queries):
      // a fresh or restarted group must not skip what was produced before it committed anything.
      subscribe: { fromBeginning: true },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      run: { autoCommit: true, autoCommitInterval: 500, partitionsConsumedConcurrently: 6 },
      // Handlers receive the raw record (bytes kept): they validate it with libs/core/contracts and
      // dead-letter what is invalid, which needs the original bytes.
      parser: { keepBinary: true },
      deserializer: {
        deserialize: (value: unknown, options?: { channel: string }) => ({ pattern: options?.channel, data: value }),
      } as never,
      postfixId: '',
    },
  } as MicroserviceOptions;
}
