import { paretoFrontier } from '@llm-router/pareto';

export interface ObservedArm {
  arm: string;
  pulls: number;
  meanQuality: number;
  meanCost: number;
}

export interface FrontierPoint {
  model: string;
  quality: number;
  costUsd: number;
  pulls?: number;
}

export interface ObservedFrontier {
  scope: string;
  source: 'observed';
  frontier: FrontierPoint[];
  dominated: FrontierPoint[];
}

/**
 * The Pareto frontier of what the scope has actually seen: mean judged quality against mean
 * cost per rewarded query. Unlike the price-watcher's (policy estimates against list prices of
 * a nominal call) it needs nothing but this aggregator's own statistics, so the dashboard always
 * has a frontier to show. Arms never rewarded have no mean, and Postgres may hand back numeric
 * columns as strings, hence the filtering and coercion.
 */
export function observedFrontier(scope: string, arms: readonly ObservedArm[]): ObservedFrontier {
  const points = arms
    .map((a) => ({ id: a.arm, pulls: Number(a.pulls), quality: Number(a.meanQuality), cost: Number(a.meanCost) }))
    .filter((p) => p.pulls > 0 && Number.isFinite(p.quality) && Number.isFinite(p.cost));
  const { frontier, dominated } = paretoFrontier(points);
  const toPoint = (p: (typeof points)[number]): FrontierPoint => ({
    model: p.id,
    quality: p.quality,
    costUsd: p.cost,
    pulls: p.pulls,
  });
  return { scope, source: 'observed', frontier: frontier.map(toPoint), dominated: dominated.map(toPoint) };
}
