/** Retries of storage operations: transient StorageErrors only, 3 attempts per operation per run. */
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from '../io/retry.ts';
import { StorageError } from './storage/types.ts';

export const STORAGE_RETRY: RetryPolicy = { ...DEFAULT_RETRY, attempts: 3 };

export interface RetryCounter {
  retries: number;
}

export function retryStorage<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy, counter?: RetryCounter): Promise<T> {
  return withRetry(operation, policy, {
    classify: (error) => (error instanceof StorageError && error.transient ? { retry: true, reason: error.message } : { retry: false }),
    onRetry: () => {
      if (counter) counter.retries++;
    },
  });
}

/** The message of a failure, for reports (never a stack). */
export function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
