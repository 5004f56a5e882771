import { Controller, Get, Header, Inject, Param, ServiceUnavailableException, StreamableFile } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PinoLogger } from 'nestjs-pino';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ScopeParamPipe } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import { ObservedArm, observedFrontier } from './observed-frontier';
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

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AggregatorConfig, 'PRICE_WATCHER_URL'>,
    @InjectDataSource() private readonly ds: Pick<DataSource, 'query'>,
    private readonly log: PinoLogger,
  ) {
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
    const base = this.config.PRICE_WATCHER_URL;
    if (!base) {
      throw new ServiceUnavailableException(
        'PRICE_WATCHER_URL is not set: no price-watcher to ask (GET /frontier/observed/:scope computes a frontier from the observed means)',
      );
    }
    const url = `${base.replace(/\/+$/, '')}/frontier`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(PRICE_WATCHER_TIMEOUT_MS),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      throw new ServiceUnavailableException(
        `price-watcher at ${url} is unreachable: ${err.cause?.code ?? err.cause?.message ?? err.message}`,
      );
    }
    if (!res.ok) throw new ServiceUnavailableException(`price-watcher at ${url} answered HTTP ${res.status}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ServiceUnavailableException(`price-watcher at ${url} answered something that is not JSON`);
    }
    // Checked only as far as the dashboard relies on it, so that a wrong URL (another service) says so.
    if (!body || !Array.isArray((body as { scopes?: unknown }).scopes)) {
      throw new ServiceUnavailableException(
        `price-watcher at ${url} answered without a "scopes" list: is PRICE_WATCHER_URL a price-watcher?`,
      );
    }
    return body;
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

  private publicFile(name: string): StreamableFile {
    if (!this.publicDir) {
      throw new ServiceUnavailableException(
        `dashboard files not found (looked in ${dashboardPublicDirCandidates().join(', ')})`,
      );
    }
    return new StreamableFile(createReadStream(join(this.publicDir, name)));
  }
}
