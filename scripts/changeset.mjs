// Runs the Changesets CLI on Node 20. @changesets/cli 3 declares `engines.node: ^22.11`, and its
// bin.js calls `module.enableCompileCache()` (Node >= 22.1), which is missing on Node 20 and
// crashes before the CLI starts. The CLI itself runs on Node 20, so this skips the bin and loads
// the CLI the same way bin.js does. Delete it (and point the `changeset` script back at the
// `changeset` bin) when the project's floor becomes Node 22.
await import('@changesets/cli');
