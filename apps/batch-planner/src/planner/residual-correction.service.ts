import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { recentCorrectionFor } from '@llm-router/batch';
import { BatchRound } from '@llm-router/contracts';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { OutcomeStore } from './outcome-store';
import { ResidualStore } from './residual-store';
import { WindowResiduals } from './window-residuals';

/**
 * Each scope's recent-residual correction (BATCH_RECENT_CORRECTION, docs/decisions/0028, 0044):
 * held in memory per scope, read before each round with the rewards of the calls it awaits, and
 * stored after each round so that a restarted planner goes on from it.
 */
@Injectable()
export class ResidualCorrection {
  private readonly byScope = new Map<string, WindowResiduals>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    private readonly replica: ReplicaService,
    private readonly outcomes: OutcomeStore,
    private readonly store: ResidualStore,
    private readonly log: PinoLogger,
  ) {}

  /** Whether windows are corrected by their scope's recent residuals (`auto`: with a warm start). */
  on(): boolean {
    return recentCorrectionFor(this.config.BATCH_RECENT_CORRECTION, this.replica.warmStartPrompts().length > 0);
  }

  /**
   * The scope's correction for the round about to be planned, with the rewards of the calls it
   * awaits read first (a window's first round fades the older ones; its later rounds, the probe's
   * second stage and the rest, count the rounds before them at once, as the batch replay does);
   * undefined when the correction is off.
   */
  async forRound(scope: string, round: BatchRound): Promise<WindowResiduals | undefined> {
    if (!this.on()) return undefined;
    let r = this.byScope.get(scope);
    if (!r) this.byScope.set(scope, (r = await this.stored(scope)));
    const realised = await this.outcomes.qualities(r.awaited());
    if (LATER_ROUNDS.has(round)) r.withinWindow(realised);
    else r.nextWindow(realised);
    return r;
  }

  /**
   * Stores the scope's correction once a round is sent. The round is dispatched by then, so a
   * failure only costs a restarted planner this round's residuals: logged, never thrown.
   */
  async save(scope: string, r: WindowResiduals): Promise<void> {
    try {
      await this.store.save(scope, r.toJSON());
    } catch (e) {
      this.log.warn({ scope, err: (e as Error).message }, 'could not store the residual correction');
    }
  }

  /**
   * The correction the last process stored for the scope, or a new one when there is none or it
   * cannot be read; a new one knows the warm-start file's prompts, so that the kinds of prompt it
   * holds are kinds from the first window (RecentResiduals.count), as in the batch replay.
   */
  private async stored(scope: string): Promise<WindowResiduals> {
    try {
      const state = await this.store.load(scope);
      if (state !== undefined) return WindowResiduals.restore(state);
    } catch (e) {
      this.log.warn({ scope, err: (e as Error).message }, 'stored residual correction not usable: starting without');
    }
    const r = new WindowResiduals();
    r.residuals.count(this.replica.warmStartPrompts());
    return r;
  }
}

/** Rounds of a window after its first. */
const LATER_ROUNDS: ReadonlySet<BatchRound> = new Set(['top-up', 'rest']);
