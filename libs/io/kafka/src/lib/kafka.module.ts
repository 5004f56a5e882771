import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { createKafka, KafkaConnection, kafkaLogCreator } from './kafka-client';
import { MessageProducer, MessageProducerOptions } from './producer';
import { TopicConsumer, TopicConsumerOptions } from './topic-consumer';

export const KAFKA = Symbol('KAFKA');
export const KAFKA_CONNECTION = Symbol('KAFKA_CONNECTION');

/** Creates consumers bound to the app's Kafka client and producer, and stops them at shutdown. */
@Injectable()
export class KafkaService implements OnApplicationShutdown {
  private readonly consumers: TopicConsumer[] = [];

  constructor(
    @Inject(KAFKA) readonly kafka: Kafka,
    readonly producer: MessageProducer,
    private readonly logger: PinoLogger,
  ) {}

  consumer(opts: Omit<TopicConsumerOptions, 'log'>): TopicConsumer {
    const c = new TopicConsumer(this.kafka, this.producer, { ...opts, log: this.logger.logger });
    this.consumers.push(c);
    return c;
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
        retry: { retries: 8, initialRetryTime: 200 },
        logLevel: logLevel.WARN,
        logCreator: kafkaLogCreator(log),
      },
      consumer: { groupId, sessionTimeout: 15000, heartbeatInterval: 1500, allowAutoTopicCreation: false },
      subscribe: { fromBeginning: false },
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
