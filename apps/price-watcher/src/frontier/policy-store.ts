import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PolicyStateEntity } from '@llm-router/persistence';
import { PolicySource, PolicyView } from './frontier.service';

/**
 * Reads (never writes) the policy the reward-aggregator stores per scope. The policy.updates
 * consumer group resumes after its last commit, so without this a restarted price-watcher
 * would have no quality estimates until the aggregator next publishes, which in a quiet
 * system may be never.
 */
@Injectable()
export class StoredPolicySource implements PolicySource {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async latest(): Promise<PolicyView[]> {
    const rows = await this.ds
      .getRepository(PolicyStateEntity)
      .find({ select: { scope: true, version: true, algorithm: true, state: true } });
    return rows.map((r) => ({ scope: r.scope, version: r.version, algorithm: r.algorithm, state: r.state }));
  }
}
