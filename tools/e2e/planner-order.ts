import type { BatchAssignmentEvent, BatchRound } from '@llm-router/contracts';

/**
 * The order in which the batch-planner planned a run's queries, from its batch.assignments
 * events: window by window, each window's probe or exploration sub-round before the rest, each
 * round's parts in order, each part's queries as the planner listed them.
 *
 * A live window holds the rows the replay's window holds, in the order they arrived from the
 * partitions of batch.requests, and the probe of a new kind of prompt calls the kind's first
 * rows; the replay of the sent order is one draw of those rows, the replay of this order the
 * live run's own (docs/decisions/0053).
 */
export type PlannerOrder = { order: number[] } | { unavailable: string };

type Assigned = Pick<BatchAssignmentEvent, 'batchId' | 'scope' | 'window' | 'part' | 'assignments'>;

/**
 * `events`: the scope's assignment events in any order (they are keyed by batch id, so spread
 * over partitions); `indexOf`: a request id's position in the sent sequence. The order is the
 * sent positions as planned, or why there is none to replay: a query planned twice (a window
 * that failed and was planned again), one never planned, or a window that did not hold
 * `batchSize` queries (one closed early, or deferred queries), which the replay's windows of
 * `batchSize` consecutive rows would not match.
 */
export function plannerOrder(
  events: readonly Assigned[],
  sent: number,
  batchSize: number,
  indexOf: (requestId: string) => number,
): PlannerOrder {
  const bad = events.find((e) => !e.window);
  if (bad) return { unavailable: `batch ${bad.batchId} does not name its window` };
  // A window's probe or exploration sub-round goes first, the probe's second stage next, the rest last.
  const rounds = events.map((e) => ({ e, window: e.window!.seq, rank: ROUND_RANK[e.window!.round] }));
  rounds.sort((a, b) => a.window - b.window || a.rank - b.rank || (a.e.part?.index ?? 0) - (b.e.part?.index ?? 0));
  const order: number[] = [];
  const seen = new Set<number>();
  const perWindow = new Map<number, number>();
  for (const { e, window } of rounds)
    for (const a of e.assignments) {
      const j = indexOf(a.requestId);
      if (seen.has(j)) return { unavailable: `query ${a.requestId} was planned twice` };
      seen.add(j);
      order.push(j);
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
  if (order.length !== sent) return { unavailable: `${order.length} of ${sent} sent queries were planned` };
  const sizes = [...perWindow.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  if (sizes.slice(0, -1).some((n) => n !== batchSize))
    return { unavailable: `windows of ${sizes.join(', ')} queries, not of ${batchSize}` };
  return { order };
}

/** Where each round of a window goes in its order: each is planned, sent and learnt from before the next. */
const ROUND_RANK: Readonly<Record<BatchRound, number>> = { exploration: 0, probe: 0, 'top-up': 1, window: 2, rest: 2 };
