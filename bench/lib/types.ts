/** What the harness runs with, and what each scenario hands back to the report. */

export type ScenarioName = 'build' | 'deploy' | 'incremental' | 'pull' | 'search' | 'converge' | 'search-quality';
export const SCENARIOS: readonly ScenarioName[] = ['build', 'deploy', 'incremental', 'pull', 'search', 'converge', 'search-quality'];

export interface BenchParams {
  /** The scale's name, as given to --scale. */
  scale: string;
  /** Measured runs per figure. */
  runs: number;
  /** Plans of every generated catalog (they share the subjects). */
  plans: number;
  seed: number;
  /** Scenario 1: catalog sizes, in lessons. */
  buildLessons: number[];
  /** Scenario 2: the catalog deployed. */
  deployLessons: number;
  /**
   * Scenario 3: the catalogs deployed, then edited and deployed again (the targets' sizes are
   * 10,000 and 50,000); the three-document change and the naive re-upload run at the first only.
   */
  incrementalLessons: number[];
  /** Scenario 4: the catalog the Frappe emulator serves. */
  pullLessons: number;
  /** Scenario 4: documents changed before each incremental pull (0 = no change). */
  pullChanges: number[];
  /** Scenario 5: the built catalog whose search files are measured. */
  searchLessons: number;
  /**
   * Scenario 5: the lessons of the one plan of a 1-plan catalog whose cold searches are measured
   * (issue 15's goal is stated for a 10,000-lesson plan); the plan shows at least this many.
   */
  searchPlanLessons: number;
  /** Scenario 5: timed repetitions of each query. */
  queryRepeats: number;
  /** Run the rclone side when rclone is installed. */
  rclone: boolean;
}

export type TargetStatus = 'met' | 'missed' | 'not measured';

export interface TargetRow {
  target: string;
  measured: string;
  status: TargetStatus;
  note?: string;
}

export interface SectionResult {
  scenario: ScenarioName;
  /** Markdown under the scenario's heading. */
  body: string;
  targets: TargetRow[];
}

export interface Scale {
  description: string;
  params: Omit<BenchParams, 'scale' | 'rclone'>;
}

export const SCALES: Record<string, Scale> = {
  tiny: {
    description: 'the test suite: a few dozen lessons, one run',
    params: { runs: 1, plans: 8, seed: 7, buildLessons: [60], deployLessons: 60, incrementalLessons: [30, 60], pullLessons: 60, pullChanges: [0, 1, 10], searchLessons: 60, searchPlanLessons: 300, queryRepeats: 2 },
  },
  small: {
    description: 'a quick look: 300 and 1,000 lessons (incremental deploys: 1,000 and 3,000), 2 runs',
    params: { runs: 2, plans: 100, seed: 7, buildLessons: [300, 1000], deployLessons: 1000, incrementalLessons: [1000, 3000], pullLessons: 1000, pullChanges: [0, 1, 100], searchLessons: 1000, searchPlanLessons: 2_000, queryRepeats: 5 },
  },
  medium: {
    description: 'the issue\'s scenarios at 10,000 lessons, 3 runs (no 50,000-lesson build)',
    params: { runs: 3, plans: 100, seed: 7, buildLessons: [1000, 10_000], deployLessons: 10_000, incrementalLessons: [10_000], pullLessons: 10_000, pullChanges: [0, 1, 100], searchLessons: 10_000, searchPlanLessons: 10_000, queryRepeats: 5 },
  },
  full: {
    description: 'the issue\'s sizes: builds of 1,000, 10,000 and 50,000 lessons, incremental deploys of 10,000 and 50,000, full deploys and pulls of 10,000, 5 runs',
    params: { runs: 5, plans: 100, seed: 7, buildLessons: [1000, 10_000, 50_000], deployLessons: 10_000, incrementalLessons: [10_000, 50_000], pullLessons: 10_000, pullChanges: [0, 1, 100], searchLessons: 10_000, searchPlanLessons: 10_000, queryRepeats: 5 },
  },
};
