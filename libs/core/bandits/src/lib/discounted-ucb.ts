import { ArmId, DecisionContext, Outcome, PolicyState } from './policy';
import { CountingStats } from './counting-policy';
import { Ucb1Options, Ucb1Policy } from './ucb1';

export interface DiscountedUcbOptions extends Ucb1Options {
  /**
   * Sliding window (Garivier & Moulines' SW-UCB): only the last `window` observations count.
   * An alternative to gamma; when set, gamma must be 1.
   */
  window?: number;
}

/**
 * Discounted UCB (Garivier & Moulines 2011) for drifting quality: every update multiplies all
 * arms' statistics by gamma (default 0.99, an effective memory of ~1/(1 - gamma) updates), and
 * the bonus alpha * sqrt(ln T / n) uses the discounted counts, so an arm that is no longer
 * pulled regains uncertainty and gets re-explored.
 *
 * alpha defaults to 0.5: the paper's 2B sqrt(xi) (about 1.5 for B = 1, xi = 0.6) is a worst-case
 * constant that, with a memory of ~100 updates, never lets the bonus fall below realistic
 * quality gaps between LLMs.
 */
export class DiscountedUcbPolicy extends Ucb1Policy {
  override readonly algorithm = 'discounted-ucb';
  private readonly window?: number;
  /** Ring of the observations inside the window (arm, quality), oldest first. */
  private winArms: ArmId[] = [];
  private winQ: number[] = [];

  constructor(opts: DiscountedUcbOptions = {}) {
    super({ alpha: 0.5, ...opts }, opts.window !== undefined ? 1 : 0.99);
    this.window = opts.window;
    if (this.window !== undefined) {
      if (!(Number.isInteger(this.window) && this.window >= 1)) throw new Error(`window must be a positive integer`);
      if (this.gamma !== 1) throw new Error('use either gamma or window, not both');
    }
  }

  protected override params(): Record<string, unknown> {
    return { ...super.params(), window: this.window };
  }

  protected override bonus(n: number, logT: number): number {
    return this.alpha * Math.sqrt(logT / n);
  }

  override update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    const known = !this.removed.has(arm);
    super.update(ctx, arm, o);
    if (this.window === undefined || !known) return;
    this.winArms.push(arm);
    this.winQ.push(o.quality);
    while (this.winArms.length > this.window) this.expireOldest();
  }

  private expireOldest(): void {
    const a = this.winArms.shift()!;
    const q = this.winQ.shift()!;
    const st = this.stats.get(a);
    if (!st) return;
    st.n -= 1;
    st.s -= q;
    st.ss -= q * q;
    // Subtraction leaves rounding dust; an empty window must read as exactly empty.
    if (st.n < 1e-9) st.n = st.s = st.ss = 0;
  }

  /** The arm's window entries go with its statistics: if it is re-added they must not expire against the new arm. */
  override removeArm(arm: ArmId): void {
    super.removeArm(arm);
    if (this.window === undefined) return;
    const keep = this.winArms.map((a) => a !== arm);
    this.winArms = this.winArms.filter((_, i) => keep[i]);
    this.winQ = this.winQ.filter((_, i) => keep[i]);
  }

  protected override extraState(): Record<string, unknown> {
    return this.window === undefined ? {} : { winArms: [...this.winArms], winQ: [...this.winQ] };
  }

  protected override loadExtra(s: CountingStats): void {
    this.winArms = [...((s['winArms'] as ArmId[]) ?? [])];
    this.winQ = [...((s['winQ'] as number[]) ?? [])];
  }

  /**
   * Sliding-window merge: the merged window is this replica's window with both replicas' new
   * observations (those made since the base) interleaved at its end, so neither replica's
   * recent history expires first; the sums are then recomputed from that window.
   */
  protected override mergeExtra(o: CountingStats, b: CountingStats | null): void {
    if (this.window === undefined) return;
    const oa = (o['winArms'] as ArmId[]) ?? [];
    const oq = (o['winQ'] as number[]) ?? [];
    const bt = b?.t ?? 0;
    const otherNew = Math.min(oa.length, Math.max(0, o.t - bt));
    const myT = this.t - (o.t - bt);
    const mineNew = Math.min(this.winArms.length, Math.max(0, myT - bt));
    const cut = this.winArms.length - mineNew;
    const outA = this.winArms.slice(0, cut);
    const outQ = this.winQ.slice(0, cut);
    for (let i = 0; i < Math.max(mineNew, otherNew); i++) {
      if (i < mineNew) {
        outA.push(this.winArms[cut + i]);
        outQ.push(this.winQ[cut + i]);
      }
      if (i < otherNew) {
        const j = oa.length - otherNew + i;
        outA.push(oa[j]);
        outQ.push(oq[j]);
      }
    }
    const drop = Math.max(0, outA.length - this.window);
    this.winArms = outA.slice(drop);
    this.winQ = outQ.slice(drop);
    for (const st of this.stats.values()) st.n = st.s = st.ss = 0;
    for (let i = 0; i < this.winArms.length; i++) {
      const st = this.stats.get(this.winArms[i]);
      if (st) this.observe(st, this.winQ[i], 1);
    }
  }

  static override fromState(s: PolicyState): DiscountedUcbPolicy {
    return new DiscountedUcbPolicy({ ...(s.params as DiscountedUcbOptions), arms: [] }).load(s);
  }
}
