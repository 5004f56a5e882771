import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { decode, Topic } from '@llm-router/contracts';
import { MessageProducer, sendToDeadLetter } from '@llm-router/kafka';
import { RoutingRejected, RoutingService } from './routing.service';

/**
 * The Kafka front door: llm.queries, consumed by all router replicas in one group. Invalid
 * or unroutable queries go to llm.queries.dlq with the reason; batch-mode queries are
 * handed to the batch planner.
 */
@Controller()
export class QueriesController {
  constructor(
    private readonly routing: RoutingService,
    private readonly producer: MessageProducer,
    private readonly log: PinoLogger,
  ) {}

  @EventPattern(Topic.Queries)
  async onQuery(@Payload() message: KafkaMessage, @Ctx() ctx: KafkaContext): Promise<void> {
    const decoded = decode(Topic.Queries, message.value);
    if (!decoded.ok) {
      this.log.warn(
        { offset: message.offset, reason: decoded.error.message },
        'invalid query sent to dead-letter topic',
      );
      await sendToDeadLetter(
        this.producer,
        'router',
        Topic.Queries,
        ctx.getPartition(),
        message,
        decoded.error.message,
      );
      return;
    }
    const query = decoded.value;
    if (query.constraints.mode === 'batch' && !query.constraints.model) {
      await this.producer.send(Topic.BatchRequests, query);
      return;
    }
    try {
      await this.routing.route(query);
    } catch (e) {
      if (!(e instanceof RoutingRejected)) throw e;
      await sendToDeadLetter(this.producer, 'router', Topic.Queries, ctx.getPartition(), message, e.message);
    }
  }
}
