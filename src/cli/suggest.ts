/** "Did you mean" for a mistyped command or option: the closest known name by edit distance. */
import { closestMatch } from 'leven';

/** The known name closest to the input (about one typo in three characters), if any is close. */
export function closestName(input: string, known: readonly string[]): string | undefined {
  return closestMatch(input, known, { maxDistance: Math.max(1, Math.floor(input.length / 3)) });
}
