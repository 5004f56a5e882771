import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RewardEvent, Topic } from '@llm-router/contracts';
import { KafkaService } from '@llm-router/kafka';

/**
 * Fans reward.stream out to Server-Sent-Event clients. It reads the topic (not this
 * instance's own events), so a dashboard connected to any instance sees every scope.
 */
@Injectable()
export class RewardStreamService implements OnApplicationBootstrap {
  readonly events$ = new Subject<RewardEvent>();
  private readonly recent: RewardEvent[] = [];

  constructor(private readonly kafka: KafkaService) {}

  async onApplicationBootstrap(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `reward-stream-${process.pid}-${Date.now().toString(36)}`,
      topics: [Topic.RewardStream],
      fromBeginning: false,
    });
    await consumer.runEach(async (m) => {
      const e = m.value as RewardEvent;
      this.recent.push(e);
      if (this.recent.length > 500) this.recent.shift();
      this.events$.next(e);
    });
  }

  /** The last events, so that a dashboard opened late starts with a picture. */
  history(scope?: string): RewardEvent[] {
    return scope ? this.recent.filter((e) => e.scope === scope) : [...this.recent];
  }
}
