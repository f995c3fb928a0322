// A spec file that cannot be run: the file, the line (when the parser knows
// it), the path in the document and the case it belongs to, so a teacher or a
// CI log points straight at the mistake. `sluice test` exits with status 2.
import { SluiceError } from '../../jit/errors.ts';

export interface Where {
  /** The spec file as given. */
  file: string;
  /** Path in the document: `cases[3].expect.maps.blocked_v4[0].key`. */
  path: string;
  /** 1-based line of that node, when the document came from text. */
  line?: number;
  /** The name of the case the node belongs to. */
  caseName?: string;
}

export const describeWhere = (w: Where): string =>
  `${w.file}${w.line === undefined ? '' : `:${w.line}`}: ${w.path || '(document)'}${w.caseName === undefined ? '' : ` (case "${w.caseName}")`}`;

export class SpecError extends SluiceError {
  constructor(readonly where: Where, readonly detail: string, options?: { cause?: unknown }) {
    super(`${describeWhere(where)}: ${detail}`, options);
  }
}
