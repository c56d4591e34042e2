/**
 * IAM Access Analyzer policy generation as a usage source for `leastpriv refine`: the request
 * (`StartPolicyGeneration`), the wait for the job (`GetGeneratedPolicy`, polled with backoff),
 * and the generated policy turned into the records the plan compares with the role's policy.
 * Pure: the caller sends the requests and gives the clock.
 *
 * A generated policy names actions, not calls, and without resource placeholders its resources
 * are `*` wherever Access Analyzer could not tell them: an action it saw is used "on whatever
 * the policy grants it on" (so nothing granted to it is called unused), and an action nothing
 * grants is proposed on `*` with a note that asks the reviewer to narrow it.
 *
 * API reference: https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_StartPolicyGeneration.html
 * and https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetGeneratedPolicy.html
 */
import { sarAction } from '../catalog/sar.js';
import { policyDocument } from '../input/policy-json.js';
import type { CallRecord, PolicyDocument } from '../model/index.js';
import { actionMatches, asList, asStatements } from '../policy/evaluate/index.js';
import type { PolicyPlan } from './plan.js';

/** `usage.access_analyzer` of `leastpriv.yaml`. */
export interface AccessAnalyzerSpec {
  /** The CloudTrail trail's ARN. */
  trailArn: string;
  /** The service role Access Analyzer assumes to read the trail. */
  accessRole: string;
  /** Regions of the trail to read; empty: all regions. */
  regions: string[];
}

/** Access Analyzer reads at most 90 days of CloudTrail events. */
export const ACCESS_ANALYZER_MAX_DAYS = 90;

export const TRAIL_ARN = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):\d{12}:trail\/[A-Za-z0-9._-]{1,128}$/;

/** The region of a trail ARN (Access Analyzer's endpoint by default). */
export function trailRegion(arn: string): string | null {
  return TRAIL_ARN.exec(arn)?.[1] ?? null;
}

/** The `StartPolicyGeneration` input (the SDK's shape). */
export function generationInput(
  spec: AccessAnalyzerSpec,
  principalArn: string,
  window: { start: Date; end: Date },
) {
  return {
    policyGenerationDetails: { principalArn },
    cloudTrailDetails: {
      trails: [
        spec.regions.length
          ? { cloudTrailArn: spec.trailArn, regions: [...spec.regions], allRegions: false }
          : { cloudTrailArn: spec.trailArn, allRegions: true },
      ],
      accessRole: spec.accessRole,
      startTime: window.start,
      endTime: window.end,
    },
  };
}

/** The fields of `GetGeneratedPolicy`'s answer this reads (the SDK's shape). */
export interface GeneratedPolicyAnswer {
  jobDetails?: {
    jobId?: string;
    status?: string;
    startedOn?: Date;
    completedOn?: Date;
    jobError?: { code?: string; message?: string };
  };
  generatedPolicyResult?: {
    properties?: {
      isComplete?: boolean;
      principalArn?: string;
      cloudTrailProperties?: {
        startTime?: Date;
        endTime?: Date;
        trailProperties?: { cloudTrailArn?: string; regions?: string[]; allRegions?: boolean }[];
      };
    };
    generatedPolicies?: { policy?: string }[];
  };
}

export class AccessAnalyzerJobError extends Error {
  constructor(
    readonly jobId: string,
    message: string,
  ) {
    super(message);
    this.name = 'AccessAnalyzerJobError';
  }
}

export interface PollOptions {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Give up after this long (default 30 minutes). */
  timeoutMs?: number;
  /** The first wait (default 1 s); each next one doubles, up to `maxDelayMs` (default 30 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Asks for the job until it is done. SUCCEEDED: its answer. FAILED, CANCELED, an unknown
 * status, or still running at the deadline: an `AccessAnalyzerJobError` that names the job.
 */
export async function pollGeneratedPolicy(
  get: (jobId: string) => Promise<GeneratedPolicyAnswer>,
  jobId: string,
  options: PollOptions,
): Promise<GeneratedPolicyAnswer> {
  const timeout = options.timeoutMs ?? 30 * 60_000;
  const deadline = options.now() + timeout;
  let delay = options.firstDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  for (;;) {
    const answer = await get(jobId);
    const status = answer.jobDetails?.status;
    if (status === 'SUCCEEDED') return answer;
    if (status === 'FAILED') {
      const e = answer.jobDetails?.jobError;
      const why = e ? ` (${e.code ?? 'error'}: ${e.message ?? 'no message'})` : '';
      throw new AccessAnalyzerJobError(
        jobId,
        `Access Analyzer policy generation job ${jobId} failed${why}: check the trail, the access role and its permissions, then run again`,
      );
    }
    if (status === 'CANCELED') {
      throw new AccessAnalyzerJobError(
        jobId,
        `Access Analyzer policy generation job ${jobId} was cancelled: run again to start a new one`,
      );
    }
    if (status !== 'IN_PROGRESS') {
      throw new AccessAnalyzerJobError(
        jobId,
        `Access Analyzer policy generation job ${jobId} has an unknown status ${JSON.stringify(status ?? null)}`,
      );
    }
    if (options.now() + delay > deadline) {
      throw new AccessAnalyzerJobError(
        jobId,
        `Access Analyzer policy generation job ${jobId} is still in progress after ${Math.round(timeout / 1000)} s: run again later`,
      );
    }
    await options.sleep(delay);
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** The `service:operation` label of the records made from a job (shown as the job in Markdown). */
export function jobLabel(jobId: string): string {
  return `access-analyzer:job/${jobId}`;
}

export function jobOfLabel(label: string): string | null {
  return label.startsWith('access-analyzer:job/') ? label.slice('access-analyzer:job/'.length) : null;
}

export interface GeneratedUsage {
  records: CallRecord[];
  /** Distinct actions the generated policies name. */
  actions: string[];
  /** The analysed window, from the job's properties. */
  start: string | null;
  end: string | null;
  trails: string[];
  /** `properties.isComplete`; null when absent. */
  complete: boolean | null;
  /** Entries of the generated policies that are not used (wildcard actions, Deny). */
  notes: string[];
}

const iso = (d: Date | undefined): string | null =>
  d instanceof Date && Number.isFinite(d.getTime()) ? d.toISOString() : null;

/** A resource Access Analyzer could not tell: `*`, or a placeholder such as `${BucketName}`. */
const unknownResource = (r: string) => r === '*' || /\$\{[A-Za-z]/.test(r);

/**
 * What the role may hold an action on, per the documents: the Resource entries of the Allow
 * statements that grant it. Empty when nothing grants it.
 */
function grantedResources(action: string, documents: readonly PolicyDocument[]): string[] {
  const out = new Set<string>();
  for (const doc of documents) {
    for (const st of asStatements(doc.Statement)) {
      if (st.Effect !== 'Allow' || st.Resource === undefined) continue;
      const grants =
        st.Action !== undefined
          ? asList(st.Action).some((a) => actionMatches(a, action))
          : !asList(st.NotAction).some((a) => actionMatches(a, action));
      if (grants) for (const r of asList(st.Resource)) out.add(r);
    }
  }
  return [...out].sort();
}

/**
 * The records for the plan from a SUCCEEDED job: one per action of the generated policies, on
 * the resources Access Analyzer named, or where it named none, on what `documents` (the policies
 * that grant to the role) grant the action on, or `*` when nothing does.
 */
export function generatedUsage(
  answer: GeneratedPolicyAnswer,
  jobId: string,
  documents: readonly PolicyDocument[],
): GeneratedUsage {
  const result = answer.generatedPolicyResult;
  const props = result?.properties;
  const trailProps = props?.cloudTrailProperties;
  const start = iso(trailProps?.startTime);
  const end = iso(trailProps?.endTime);
  const time = end ?? iso(answer.jobDetails?.completedOn) ?? new Date(0).toISOString();
  const account = /^arn:[^:]*:iam::(\d{12}):/.exec(props?.principalArn ?? '')?.[1] ?? null;
  const needs = new Map<string, Set<string>>();
  const notes: string[] = [];
  (result?.generatedPolicies ?? []).forEach((g, i) => {
    const parsed = policyDocument(g.policy ?? '', `generated policy ${i + 1} of job ${jobId}`);
    if (!parsed.ok) throw new AccessAnalyzerJobError(jobId, parsed.error);
    for (const st of asStatements(parsed.value.Statement)) {
      if (st.Effect !== 'Allow' || st.Action === undefined) {
        notes.push(
          `Access Analyzer job ${jobId}: a statement that is not an Allow of actions (${JSON.stringify(st).slice(0, 120)}) is not usage: left out`,
        );
        continue;
      }
      const resources = st.Resource === undefined ? ['*'] : asList(st.Resource);
      for (const action of asList(st.Action)) {
        if (/[*?]/.test(action)) {
          notes.push(
            `Access Analyzer job ${jobId} names \`${action}\`, a wildcard (a service-level template), not an action the role used: left out`,
          );
          continue;
        }
        const set = needs.get(action) ?? new Set<string>();
        for (const r of resources) set.add(r);
        needs.set(action, set);
      }
    }
  });
  const records: CallRecord[] = [];
  for (const action of [...needs.keys()].sort()) {
    const named = [...(needs.get(action) ?? [])];
    const known = named.filter((r) => !unknownResource(r));
    let resources = known;
    if (known.length < named.length) {
      const granted = grantedResources(action, documents);
      resources = [...new Set([...known, ...(granted.length ? granted : ['*'])])].sort();
    }
    records.push({
      time,
      source: 'cloudtrail',
      provider: 'aws',
      service: 'access-analyzer',
      operation: `job/${jobId}`,
      region: null,
      account,
      status: null,
      error: null,
      actions: [action],
      resources,
      unresolved: null,
      requirements: [{ action, resources }],
    });
  }
  const trails = (trailProps?.trailProperties ?? [])
    .map((t) => t.cloudTrailArn)
    .filter((t): t is string => typeof t === 'string');
  return {
    records,
    actions: [...needs.keys()].sort(),
    start,
    end,
    trails,
    complete: typeof props?.isComplete === 'boolean' ? props.isComplete : null,
    notes,
  };
}

/** Whether an action can be limited to resources (the Service Authorization Reference says so). */
function hasResourceTypes(action: string): boolean {
  const i = action.indexOf(':');
  const a = sarAction(action.slice(0, i).toLowerCase(), action.slice(i + 1));
  return (a?.resourceTypes.length ?? 0) > 0;
}

/** Notes for the reviewer on what a job added on `*` that could be narrowed. */
export function accessAnalyzerNotes(plan: PolicyPlan): string[] {
  const out: string[] = [];
  for (const a of plan.added) {
    const job = a.calls.map(jobOfLabel).find((j) => j !== null);
    if (!job || !a.resources.includes('*') || !hasResourceTypes(a.action)) continue;
    out.push(
      `${a.action} is added on "*": Access Analyzer (job ${job}) does not say which resources the role used; narrow it to them before merging`,
    );
  }
  return out;
}
