/** The preview server's JSON endpoints for the viewer (same origin, under /_viewer/api/). */
import type { BuildInfoAnswer, DeployInfo } from '../deploy-info.ts';
import type { PlanListing } from '../plans.ts';

export type { BuildInfoAnswer, DeployInfo, PlanListing };

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export const api = {
  plans: () => getJson<PlanListing>('/_viewer/api/plans'),
  build: () => getJson<BuildInfoAnswer>('/_viewer/api/build'),
  deploy: () => getJson<DeployInfo>('/_viewer/api/deploy'),
};
