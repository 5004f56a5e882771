import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { decode, Topic } from '@llm-router/contracts';
import { MessageProducer, sendToDeadLetter } from '@llm-router/kafka';
import { FrontierService } from './frontier.service';

/** policy.updates, in the price-watcher's own consumer group: each snapshot refreshes its scope's quality axis. */
@Controller()
export class PolicyUpdatesController {
  constructor(
    private readonly frontier: FrontierService,
    private readonly producer: MessageProducer,
    private readonly log: PinoLogger,
  ) {}

  @EventPattern(Topic.PolicyUpdates)
  async onPolicyUpdate(@Payload() message: KafkaMessage, @Ctx() ctx: KafkaContext): Promise<void> {
    // A tombstone deletes a scope's snapshot from the compacted topic; it is not a bad message.
    if (message.value === null || message.value === undefined) return;
    const decoded = decode(Topic.PolicyUpdates, message.value);
    if (!decoded.ok) {
      this.log.warn(
        { offset: message.offset, reason: decoded.error.message },
        'invalid policy update sent to dead-letter topic',
      );
      await sendToDeadLetter(
        this.producer,
        'price-watcher',
        Topic.PolicyUpdates,
        ctx.getPartition(),
        message,
        decoded.error.message,
      );
      return;
    }
    await this.frontier.onPolicySnapshot(decoded.value);
  }
}
