import type { TargetName } from './targets.mjs';
export declare function createSeeds(core: object): Record<TargetName, Uint8Array[]>;
