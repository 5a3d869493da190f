/** How large a generated catalog may be. */
export const GENERATE_LIMITS = {
  plans: { min: 1, max: 200 },
  lessons: { min: 1, max: 50_000 },
} as const;
