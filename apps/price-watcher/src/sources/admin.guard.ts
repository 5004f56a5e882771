/** The admin API's guard is shared by every service's admin endpoints (libs/io/service). */
export { AdminTokenGuard } from '@llm-router/service';
