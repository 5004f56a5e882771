import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { OperatorActionsController } from './operator-actions.controller';

/** GET /dashboard, the frontier endpoints it reads and the operator actions it relays; needs only the config, the database and the logger. */
@Module({ controllers: [DashboardController, OperatorActionsController] })
export class DashboardModule {}
