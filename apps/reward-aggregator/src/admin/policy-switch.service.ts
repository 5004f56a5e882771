import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource, EntityManager } from 'typeorm';
import { CandidateSpec, evaluateSwitch, readScopeDecisionLog, SwitchVerdict } from '@llm-router/ope';
import { PolicyStateEntity, PolicySwitchEntity } from '@llm-router/persistence';
import { APP_CONFIG, MetricsService, policyFeatureDim } from '@llm-router/service';
import { LedgerService } from '../ledger/ledger.service';
import type { PolicySwitchConfig } from './policy-switch.config';

export interface SwitchOutcome {
  scope: string;
  passed: boolean;
  reason: string;
  from: { algorithm: string; version: number };
  to: CandidateSpec;
  /** policy_state version the switch wrote (passed only). */
  version?: number;
  figures: SwitchVerdict;
}

/**
 * Switching a live scope's policy, through the off-policy gate: the candidate is evaluated on
 * the scope's logged decisions (SNIPS and DR against the current policy's value), the verdict
 * is recorded in policy_switches either way, and only a passed candidate replaces the policy,
 * primed with everything the log taught it.
 */
@Injectable()
export class PolicySwitchService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: PolicySwitchConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
  ) {}

  /** Throws NotFoundException for a scope without stored state, RangeError for a bad candidate. */
  async switchPolicy(scope: string, candidate: CandidateSpec): Promise<SwitchOutcome> {
    const current = await this.ds.manager.findOne(PolicyStateEntity, { where: { scope } });
    if (!current) throw new NotFoundException(`scope ${scope} has no policy state yet: nothing to switch from`);
    const decisions = await readScopeDecisionLog(this.ds, scope, { limit: this.config.POLICY_SWITCH_MAX_DECISIONS });
    const { verdict, policy } = evaluateSwitch(
      decisions,
      candidate,
      { featureDim: policyFeatureDim(this.config), seed: this.config.POLICY_SEED },
      {
        tolerance: this.config.POLICY_SWITCH_TOLERANCE,
        level: this.config.POLICY_SWITCH_LEVEL,
        minEffectiveSampleSize: this.config.POLICY_SWITCH_MIN_ESS,
      },
    );
    const from = { algorithm: current.algorithm, version: current.version };
    const record = async (em: EntityManager, newVersion: number | null): Promise<void> => {
      const row: Omit<PolicySwitchEntity, 'id' | 'requestedAt'> = {
        scope,
        fromAlgorithm: from.algorithm,
        fromVersion: from.version,
        toAlgorithm: candidate.algorithm,
        toOptions: candidate.options ?? {},
        passed: newVersion !== null,
        reason: verdict.reason,
        figures: verdict,
        newVersion,
      };
      await em.getRepository(PolicySwitchEntity).save(em.getRepository(PolicySwitchEntity).create(row));
    };
    let version: number | undefined;
    if (verdict.pass) {
      version = (await this.ledger.replaceScopePolicy(scope, policy.toState(), record)).version;
    } else await record(this.ds.manager, null);
    this.metrics
      .counter('aggregator_policy_switches_total', 'Policy switches asked for, by outcome', ['outcome'])
      .inc({ outcome: verdict.pass ? 'passed' : 'refused' });
    this.log.info(
      { scope, from, to: candidate, passed: verdict.pass, reason: verdict.reason, version },
      'policy switch',
    );
    return { scope, passed: verdict.pass, reason: verdict.reason, from, to: candidate, version, figures: verdict };
  }
}
