import { Module } from '@nestjs/common';
import { RetentionService } from './retention.service';

/** The data lifecycle's sweep; needs only the config, the database, the logger and metrics (all global). */
@Module({ providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
