// Declarations for the parts of http-cache-tests@0.4.5 (plain ES modules, no types) that the
// harness imports: the origin's request handlers, the test list, the published results and the
// function the suite's own pages use to tell what a result means.

declare module 'http-cache-tests/server/handle-config.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default function handleConfig(pathSegs: string[], request: IncomingMessage, response: ServerResponse): void;
}
declare module 'http-cache-tests/server/handle-test.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default function handleTest(pathSegs: string[], request: IncomingMessage, response: ServerResponse): void;
}
declare module 'http-cache-tests/server/handle-state.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default function handleState(pathSegs: string[], request: IncomingMessage, response: ServerResponse): void;
}
declare module 'http-cache-tests/server/utils.mjs' {
  import type { ServerResponse } from 'node:http';
  export function sendResponse(response: ServerResponse, statusCode: number, message: string): void;
}

/** One test of the suite, as tests/*.mjs define it (only the members the harness reads). */
interface SuiteTest {
  id: string;
  name: string;
  kind?: 'required' | 'optimal' | 'check';
  depends_on?: string[];
  browser_only?: boolean;
  browser_skip?: boolean;
}
interface SuiteGroup {
  name: string;
  id: string;
  description?: string;
  tests: SuiteTest[];
}
/** A results file: test id to `true`, or `[errorName, message]` (`Assertion`, `Setup`, or a thrown error's name). */
type SuiteResults = Record<string, true | [string, string]>;

declare module 'http-cache-tests/tests/index.mjs' {
  const groups: SuiteGroup[];
  export default groups;
}
declare module 'http-cache-tests/tests/surrogate-control.mjs' {
  const group: SuiteGroup;
  export default group;
}
declare module 'http-cache-tests/results/index.mjs' {
  const index: Array<{ file: string; name: string; type: string; version: string; link?: string }>;
  export default index;
}
declare module 'http-cache-tests/lib/display.mjs' {
  /** [font-awesome glyph, colour, text symbol] */
  export type ResultType = [string, string, string];
  export function determineTestResult(
    testSuites: SuiteGroup[],
    testId: string,
    testResults: SuiteResults,
    honorDependencies?: boolean,
  ): ResultType;
}
