/** `--name value` flags for the small runnable scripts (no dependency for three flags). */
export function flag(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) {
    console.error(`missing value for --${name}`);
    process.exit(2);
  }
  return value;
}
