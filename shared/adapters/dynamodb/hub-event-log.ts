import type { HubEvent, HubEventPublisher } from '#shared/ports/hub-events.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from './table.ts';

/** Hub events are kept this long for their consumers to read. */
export const HUB_EVENT_RETENTION_DAYS = 30;

/** A day's partition, so that no single partition takes every event the fleet ever makes. */
export const hubEventKey = (event: Pick<HubEvent, 'at' | 'id'>) => ({ pk: `HUBEVENTS#${event.at.slice(0, 10)}`, sk: `${event.at}#${event.id}` });

interface EventItem extends StoredItem {
  event: string;
}

/**
 * The hub's event log in the table: `HUBEVENTS#<day>` / `<at>#<id>`, TTL 30 days, written once
 * (never over an existing event). The monitoring context reads it day by day, oldest first.
 */
export class DynamoHubEventLog implements HubEventPublisher {
  constructor(private readonly table: Table) {}

  async publish(event: HubEvent): Promise<void> {
    await this.table.create(
      {
        ...hubEventKey(event),
        entity: 'hub_event',
        type: event.type,
        event: JSON.stringify(event),
        ttl: Math.floor(Date.parse(event.at) / 1000) + HUB_EVENT_RETENTION_DAYS * 86_400,
      },
      'This event was published already.',
    );
  }

  /** The events of one day (YYYY-MM-DD), oldest first. */
  async day(day: string, limit: number, cursor?: string): Promise<Page<HubEvent>> {
    const page = await this.table.query<EventItem>({ partition: `HUBEVENTS#${day}`, limit, cursor });
    return { items: page.items.map((i) => JSON.parse(i.event) as HubEvent), ...(page.continue ? { continue: page.continue } : {}) };
  }
}
