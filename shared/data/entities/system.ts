/** The system context's one key (docs/data-model.md). */
import { defineEntity } from '../entity.ts';

/** Never written: `/health` reads it to prove the table answers (a read of an absent item costs the least). */
export const healthProbe = defineEntity({ entity: 'health-probe', pk: 'HEALTH', sk: 'HEALTH' });
