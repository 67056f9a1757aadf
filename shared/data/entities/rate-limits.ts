/** Rate windows (docs/data-model.md): one item per tier, subject and minute, counted by every function's guard. */
import { defineEntity } from '../entity.ts';

/** `subject` is who is counted: `ip:<source>`, `principal:<user id>` or `anonymous:<source>`. */
export const rateWindow = defineEntity({ entity: 'rate-window', pk: 'RATE#<tier>#<subject>', sk: '<windowStart>' });
