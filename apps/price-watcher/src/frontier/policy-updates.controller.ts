import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { KafkaService, PoisonGuard } from '@llm-router/kafka';
import { FrontierService } from './frontier.service';

/** policy.updates, in the price-watcher's own consumer group: each snapshot refreshes its scope's quality axis. */
@Controller()
export class PolicyUpdatesController {
  private readonly guard: PoisonGuard;

  constructor(
    private readonly frontier: FrontierService,
    kafka: KafkaService,
  ) {
    this.guard = kafka.guard('price-watcher');
  }

  @EventPattern(Topic.PolicyUpdates)
  async onPolicyUpdate(@Payload() message: KafkaMessage, @Ctx() ctx: KafkaContext): Promise<void> {
    // A tombstone deletes a scope's snapshot from the compacted topic; it is not a bad message.
    if (message.value === null || message.value === undefined) return;
    // An invalid snapshot, or one the frontier keeps failing on, is dead-lettered: the next
    // snapshot of the partition still refreshes its scope.
    await this.guard.process(Topic.PolicyUpdates, ctx.getPartition(), message, (snapshot) =>
      this.frontier.onPolicySnapshot(snapshot),
    );
  }
}
