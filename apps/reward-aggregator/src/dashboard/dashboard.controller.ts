import {
  Controller,
  Get,
  Header,
  Inject,
  Param,
  ParseFloatPipe,
  Query,
  ServiceUnavailableException,
  StreamableFile,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PinoLogger } from 'nestjs-pino';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { pickByBudget, pickByMinQuality } from '@llm-router/pareto';
import { APP_CONFIG, ScopeParamPipe } from '@llm-router/service';
import { FrontierPoint, ObservedArm, observedFrontier } from './observed-frontier';
import { callUpstream, priceWatcherOf, Upstream, UpstreamConfig } from './upstream';
import { dashboardPublicDirCandidates, findChartJsUmd, findDashboardPublicDir } from './static-files';

/** A dashboard poll must not hang on a price-watcher that accepts connections but never answers. */
export const PRICE_WATCHER_TIMEOUT_MS = 3000;

/**
 * The live dashboard (one HTML page, one script, Chart.js from node_modules) and the two
 * frontier sources it plots: the price-watcher's, proxied so the browser needs only this
 * origin, and one computed here from the observed per-arm means.
 */
@ApiTags('dashboard')
@Controller()
export class DashboardController {
  private readonly publicDir = findDashboardPublicDir();
  private readonly chartJs = findChartJsUmd();
  private readonly priceWatcher: Upstream;

  constructor(
    @Inject(APP_CONFIG) config: UpstreamConfig,
    @InjectDataSource() private readonly ds: Pick<DataSource, 'query'>,
    private readonly log: PinoLogger,
  ) {
    this.priceWatcher = priceWatcherOf(config);
    // Missing files should not stop the aggregator (it owns the policy state), but must not go unnoticed.
    if (!this.publicDir)
      this.log.error(
        { lookedIn: dashboardPublicDirCandidates() },
        'dashboard files not found: GET /dashboard answers 503',
      );
    if (!this.chartJs) this.log.error('chart.js is not installed: the dashboard cannot draw its charts');
  }

  @Get('dashboard')
  @ApiOperation({
    summary:
      'Live dashboard: pulls, estimates, recent pulls, cumulative reward, variance, Pareto frontier, budget burn',
  })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  page(): StreamableFile {
    return this.publicFile('index.html');
  }

  @Get('dashboard/app.js')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): StreamableFile {
    return this.publicFile('app.js');
  }

  @Get('dashboard/vendor/chart.js')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  chartLibrary(): StreamableFile {
    if (!this.chartJs) throw new ServiceUnavailableException('chart.js is not installed (npm install chart.js)');
    return new StreamableFile(createReadStream(this.chartJs));
  }

  @Get('frontier')
  @ApiOperation({
    summary:
      "The price-watcher's latest Pareto frontier per scope (its GET /frontier, proxied); 503 when PRICE_WATCHER_URL is unset or the price-watcher is unreachable",
  })
  @ApiServiceUnavailableResponse({
    description: 'PRICE_WATCHER_URL unset, price-watcher unreachable, or an answer that is not a frontier',
  })
  async frontier(): Promise<unknown> {
    const a = await callUpstream(this.priceWatcher, '/frontier', { timeoutMs: PRICE_WATCHER_TIMEOUT_MS });
    if (!a.ok) throw new ServiceUnavailableException(`price-watcher at ${a.url} answered HTTP ${a.status}`);
    // Checked only as far as the dashboard relies on it, so that a wrong URL (another service) says so.
    if (!a.body || !Array.isArray((a.body as { scopes?: unknown }).scopes)) {
      throw new ServiceUnavailableException(
        `price-watcher at ${a.url} answered without a "scopes" list: is PRICE_WATCHER_URL a price-watcher?`,
      );
    }
    return a.body;
  }

  @Get('frontier/observed/:scope')
  @ApiOperation({
    summary:
      'A Pareto frontier of the scope computed here: mean observed quality against mean cost per rewarded query, per arm',
  })
  @ApiOkResponse({
    description:
      '{ scope, source: "observed", frontier, dominated }; points are { model, quality, costUsd, pulls }, empty before any reward',
  })
  async observed(@Param('scope', ScopeParamPipe) scope: string) {
    const arms: ObservedArm[] = await this.ds.query(
      `SELECT arm, pulls, sum_quality / GREATEST(pulls,1) AS "meanQuality", sum_cost / GREATEST(pulls,1) AS "meanCost"
         FROM arm_stats WHERE scope = $1 AND pulls > 0 ORDER BY arm`,
      [scope],
    );
    return observedFrontier(scope, arms);
  }

  @Get('dashboard/pick/:scope')
  @ApiOperation({
    summary:
      "Which model a budget per query buys, and the cheapest one reaching a minimum quality, on the scope's current frontier (the price-watcher's, else the observed one)",
  })
  @ApiQuery({ name: 'budget', required: false, description: 'USD per query' })
  @ApiQuery({ name: 'minQuality', required: false, description: 'quality in [0, 1]' })
  async pick(
    @Param('scope', ScopeParamPipe) scope: string,
    @Query('budget', new ParseFloatPipe({ optional: true })) budget?: number,
    @Query('minQuality', new ParseFloatPipe({ optional: true })) minQuality?: number,
  ) {
    const { source, frontier } = await this.currentFrontier(scope);
    const points = frontier.map((p) => ({ id: p.model, quality: Number(p.quality), cost: Number(p.costUsd) }));
    const asPoint = (p: (typeof points)[number] | undefined) =>
      p ? { model: p.id, quality: p.quality, costUsd: p.cost } : null;
    return {
      scope,
      source,
      frontier: points.map(asPoint),
      ...(budget !== undefined ? { budgetUsd: budget, byBudget: asPoint(pickByBudget(points, budget)) } : {}),
      ...(minQuality !== undefined ? { minQuality, byQuality: asPoint(pickByMinQuality(points, minQuality)) } : {}),
    };
  }

  /** The frontier the page plots: the price-watcher's when it has one for the scope, else the observed one. */
  private async currentFrontier(scope: string): Promise<{ source: string; frontier: FrontierPoint[] }> {
    try {
      const body = (await this.frontier()) as {
        scopes: { scope: string; frontier?: { frontier?: FrontierPoint[] } }[];
      };
      const points = body.scopes.find((s) => s.scope === scope)?.frontier?.frontier;
      if (points && points.length > 0) return { source: 'price-watcher', frontier: points };
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
    }
    return { source: 'observed', frontier: (await this.observed(scope)).frontier };
  }

  private publicFile(name: string): StreamableFile {
    if (!this.publicDir) {
      throw new ServiceUnavailableException(
        `dashboard files not found (looked in ${dashboardPublicDirCandidates().join(', ')})`,
      );
    }
    return new StreamableFile(createReadStream(join(this.publicDir, name)));
  }
}
