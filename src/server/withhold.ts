import { inputError } from '../util/errors.js';

/**
 * A test hook, never set in a normal run: per user, the sequence numbers the server must never
 * deliver to that user. It is applied where every model gets its messages (MessageLog.readAfter
 * for backlogs and poll answers, Hub for live pushes), never in MessageLog.expectedCount, so the
 * accounting still expects them and must report exactly these as lost.
 */
export type WithholdSpec = Record<string, number[]>;

/** Whether `seq` is withheld from `user`. */
export type WithholdFilter = (seq: number, user: string | undefined) => boolean;

/**
 * The server process reads its spec from this variable, so a test can drive the real runner,
 * server and workers without the runner or the scenario knowing about the hook.
 */
export const WITHHOLD_ENV = 'CONNBENCH_TEST_WITHHOLD';

/** Parses `{"u3":[5,9],"u7":[2]}`; anything else is an input error naming the variable. */
export function parseWithholdSpec(text: string): WithholdSpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  const ok =
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((seqs) => Array.isArray(seqs) && seqs.every((s) => Number.isSafeInteger(s) && s >= 1));
  if (!ok)
    throw inputError(
      'CB_ERR_BAD_WITHHOLD',
      `${WITHHOLD_ENV} must be a JSON object of user → [seq, …] (seq >= 1), got ${JSON.stringify(text.slice(0, 80))}`,
    );
  return v as WithholdSpec;
}

export function withholdFilter(spec: WithholdSpec): WithholdFilter {
  const byUser = new Map(Object.entries(spec).map(([user, seqs]) => [user, new Set(seqs)]));
  return (seq, user) => user !== undefined && byUser.get(user)?.has(seq) === true;
}
