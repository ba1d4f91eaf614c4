// Registry of HTTP scenarios in run order (list/view first, before creates grow the table).
import { list } from './list.ts';
import { view } from './view.ts';
import { create } from './create.ts';
import { health } from './health.ts';
import type { Scenario } from './types.ts';

export const SCENARIOS: Scenario[] = [list, view, create, health];
export type { Scenario };
