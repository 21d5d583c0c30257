export declare class OracleFailure extends Error {
  constructor(target: string, message: string);
}
export type FuzzTarget = (input: Uint8Array) => void;
export type TargetName =
  | 'frames'
  | 'frames-deflate'
  | 'http-head'
  | 'header-values'
  | 'h2-headers'
  | 'close-payload'
  | 'utf8';
export declare const TARGET_NAMES: readonly TargetName[];
export declare function createTargets(
  core: object,
  zlib: {
    inflateRawSync: (data: Uint8Array, options?: { maxOutputLength?: number }) => Uint8Array;
  },
): Record<TargetName, FuzzTarget>;
