import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { KafkaService, PoisonGuard } from '@llm-router/kafka';
import { PlannerService } from './planner.service';

/** batch.requests: queries that may wait (the router forwards mode=batch queries here). */
@Controller()
export class BatchRequestsController {
  private readonly guard: PoisonGuard;

  constructor(
    private readonly planner: PlannerService,
    kafka: KafkaService,
  ) {
    this.guard = kafka.guard('batch-planner');
  }

  @EventPattern(Topic.BatchRequests)
  async onRequest(@Payload() message: KafkaMessage, @Ctx() ctx: KafkaContext): Promise<void> {
    // Returns once the query is in batch_pending: the transport commits the offset after that,
    // so a query waiting in an open window survives a restart of the planner. A query the
    // database keeps refusing is dead-lettered after the bounded retry instead of stopping
    // its partition.
    await this.guard.process(Topic.BatchRequests, ctx.getPartition(), message, (query) => this.planner.enqueue(query));
  }
}
