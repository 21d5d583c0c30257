// Command-line options of the bench scripts: `--name value` pairs and bare `--flag`s.

/** The value after `name` (`--impl wskit`) on this process's command line, or `fallback`. */
export function optionValue(name, fallback = undefined) {
  const index = process.argv.indexOf(name, 2);
  return index === -1 ? fallback : process.argv[index + 1];
}
