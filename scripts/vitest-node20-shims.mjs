// vitest 5 declares `engines.node: ^22.12.0`, and its main process calls three builtins that Node
// 20 lacks: `Map.groupBy` (printing a failed test's errors), `Object.groupBy` (writing inline
// snapshots) and `Promise.withResolvers` (watch mode). Without them a failing test on Node 20
// prints "Map.groupBy is not a function" instead of its assertion. Every vitest config imports
// this file first; it only touches the vitest main process (configs are loaded there), never the
// workers that run the code under test. Delete it when the project's floor becomes Node 22.

if (typeof Map.groupBy !== 'function') {
  Map.groupBy = (items, keyOf) => {
    const groups = new Map();
    let index = 0;
    for (const item of items) {
      const key = keyOf(item, index++);
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }
    return groups;
  };
}

if (typeof Object.groupBy !== 'function') {
  Object.groupBy = (items, keyOf) => {
    const groups = Object.create(null);
    let index = 0;
    for (const item of items) {
      const key = keyOf(item, index++);
      if (groups[key]) groups[key].push(item);
      else groups[key] = [item];
    }
    return groups;
  };
}

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => {
    let resolve;
    let reject;
    const promise = new Promise((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    return { promise, resolve, reject };
  };
}
