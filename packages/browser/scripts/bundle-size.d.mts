/** The built browser entry, dist/native.js. */
export declare const BROWSER_ENTRY: string;
/** Bytes of `export { name } from entry` bundled for the browser: minified, and gzipped (zlib level 9). */
export declare function bundleSize(
  name: string,
  entry?: string,
): Promise<{ minified: number; gzipped: number }>;
