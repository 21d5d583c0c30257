// The vitest glue shared by the server and the client suites.

import { describe, test } from 'vitest';
import type { ConformanceCase } from './cases/dsl.js';
import {
  allCaseIds,
  type CaseReport,
  type CaseSelection,
  formatReport,
  type Side,
  selectCases,
} from './runner.js';

export interface ConformanceOptions extends CaseSelection {
  /**
   * Ids of cases the implementation is known to fail. Each of them must still fail: a listed
   * case that passes fails its test, so the list cannot silently outlive the bug. Unknown ids
   * throw at registration.
   */
  expectedFailures?: readonly string[];
}

/** Registers one `describe` per case group and one test per case, named `<id> <description>`. */
export function registerCases(
  side: Side,
  options: ConformanceOptions,
  run: (testCase: ConformanceCase) => Promise<CaseReport>,
): void {
  const known = allCaseIds(side);
  const unknown = (options.expectedFailures ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `expectedFailures lists ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a case' : 'are not cases'} of the ${side} suite`,
    );
  }
  const expectedFailures = new Set(options.expectedFailures ?? []);
  for (const group of selectCases(side, options)) {
    describe(`${group.id} ${group.title}`, () => {
      for (const testCase of group.cases) {
        const expectedToFail = expectedFailures.has(testCase.id);
        const name = `${testCase.id} ${testCase.description}${expectedToFail ? ' (expected failure)' : ''}`;
        test(name, { timeout: testCase.timeoutMs ?? 15_000 }, async () => {
          const report = await run(testCase);
          if (expectedToFail && report.passed) {
            throw new Error(
              `${testCase.id} is listed in expectedFailures but passed: remove it from the list`,
            );
          }
          if (!expectedToFail && !report.passed) throw new Error(formatReport(report));
        });
      }
    });
  }
}
