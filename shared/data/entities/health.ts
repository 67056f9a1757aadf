/** The health context's items (docs/data-model.md): each sweep's result, each cluster's latest in the fleet's partition, and the hub's events. */
import type { HealthRecord } from '#shared/domain/health/health.ts';
import type { FleetHealthEntry } from '#shared/domain/health/ports.ts';
import type { HubEvent } from '#shared/ports/hub-events.ts';
import { attribute, defineEntity, fields, json } from '../entity.ts';

/** One sweep of a cluster, the whole result as JSON (read back whole, never queried by its parts). */
export const healthResult = defineEntity(
  { entity: 'health_result', pk: 'HEALTH#<clusterId>', sk: '<checkedAt>' },
  fields<{ report: HealthRecord }>({ report: json('report') }),
);

/** A cluster's latest result, in short: the fleet views read this one small partition. */
export const fleetHealth = defineEntity(
  { entity: 'fleet_health', pk: 'FLEETHEALTH', sk: '<clusterId>' },
  // `checked_at` beside the entry is what the conditional put compares (a newer sweep's entry stays).
  fields<{ checkedAt: string; entry: FleetHealthEntry }>({ checkedAt: attribute('checked_at'), entry: json('entry') }),
);

/** The hub's event log: a day's partition, so that no single partition takes every event the fleet ever makes. */
export const hubEvent = defineEntity(
  { entity: 'hub_event', pk: 'HUBEVENTS#<day>', sk: '<at>#<id>' },
  fields<{ type: string; event: HubEvent }>({ type: 'type', event: json('event') }),
);

/** The day (YYYY-MM-DD) of an event's partition. */
export const eventDay = (at: string) => at.slice(0, 10);
