import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { decode, Topic } from '@llm-router/contracts';
import { MessageProducer, sendToDeadLetter } from '@llm-router/kafka';
import { PlannerService } from './planner.service';

/** batch.requests: queries that may wait (the router forwards mode=batch queries here). */
@Controller()
export class BatchRequestsController {
  constructor(
    private readonly planner: PlannerService,
    private readonly producer: MessageProducer,
  ) {}

  @EventPattern(Topic.BatchRequests)
  async onRequest(@Payload() message: KafkaMessage, @Ctx() ctx: KafkaContext): Promise<void> {
    const r = decode(Topic.BatchRequests, message.value);
    if (!r.ok) {
      await sendToDeadLetter(
        this.producer,
        'batch-planner',
        Topic.BatchRequests,
        ctx.getPartition(),
        message,
        r.error.message,
      );
      return;
    }
    // Returns once the query is in batch_pending: the transport commits the offset after that,
    // so a query waiting in an open window survives a restart of the planner.
    await this.planner.enqueue(r.value);
  }
}
