import type { FuzzTarget } from './targets.mjs';
export interface Random {
  next(): number;
  below(n: number): number;
  chance(p: number): boolean;
}
export declare function createRandom(seed: number): Random;
export declare function mutate(
  input: Uint8Array,
  other: Uint8Array,
  random: Random,
  maxLength: number,
): Uint8Array;
export declare class Coverage {
  constructor(scriptFilter: string);
  start(): Promise<void>;
  take(): Promise<string[]>;
  stop(): Promise<void>;
}
export declare class Fuzzer {
  constructor(options: {
    target: FuzzTarget;
    seed: number;
    corpus: Uint8Array[];
    coverage?: Coverage;
    maxLength?: number;
    batchSize?: number;
  });
  corpus: Uint8Array[];
  executions: number;
  finding: { input: Uint8Array; error: unknown } | undefined;
  readonly blocks: number;
  init(): Promise<void>;
  run(options?: {
    runs?: number;
    deadline?: number;
    onProgress?: (fuzzer: Fuzzer) => void;
  }): Promise<void>;
}
