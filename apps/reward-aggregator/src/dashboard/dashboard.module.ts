import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** GET /dashboard and the frontier endpoints it reads; needs only the config, the database and the logger. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
