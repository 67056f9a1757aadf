/**
 * Hub events: facts other contexts react to (a cluster's health changed, ...), published by the
 * workers that find them. The monitoring context consumes them for alerts and webhooks; until it
 * does, they are kept in the table's event log (shared/adapters/dynamodb/hub-event-log.ts) where it
 * will read them. Each event type has a zod schema beside the code that publishes it and a sample
 * payload in events/hub/.
 */
export interface HubEvent {
  /** The event type, such as `cluster.health.changed`. */
  type: string;
  id: string;
  /** When it happened (ISO 8601). */
  at: string;
  cluster_id: string | null;
  detail: Record<string, unknown>;
}

export interface HubEventPublisher {
  publish(event: HubEvent): Promise<void>;
}
