import { eventDay, hubEvent } from '#shared/data/entities/health.ts';
import type { HubEvent, HubEventPublisher } from '#shared/ports/hub-events.ts';
import type { Page } from '#shared/ports/page.ts';
import type { Table } from './table.ts';

/** Hub events are kept this long for their consumers to read. */
export const HUB_EVENT_RETENTION_DAYS = 30;

/**
 * The hub's event log in the table: `HUBEVENTS#<day>` / `<at>#<id>`, TTL 30 days, written once
 * (never over an existing event). The monitoring context reads it day by day, oldest first.
 */
export class DynamoHubEventLog implements HubEventPublisher {
  constructor(private readonly table: Table) {}

  async publish(event: HubEvent): Promise<void> {
    await this.table.create(
      {
        ...hubEvent.item({ day: eventDay(event.at), at: event.at, id: event.id, type: event.type, event }),
        ttl: Math.floor(Date.parse(event.at) / 1000) + HUB_EVENT_RETENTION_DAYS * 86_400,
      },
      'This event was published already.',
    );
  }

  /** The events of one day (YYYY-MM-DD), oldest first. */
  async day(day: string, limit: number, cursor?: string): Promise<Page<HubEvent>> {
    const page = await this.table.query({ partition: hubEvent.partition({ day }), limit, cursor });
    return { items: page.items.map((i) => hubEvent.read(i).event), ...(page.continue ? { continue: page.continue } : {}) };
  }
}
