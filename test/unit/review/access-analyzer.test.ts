/**
 * IAM Access Analyzer policy generation as a usage source: the request, the wait for the job,
 * the generated policy turned into records, the configuration and the Markdown. Answers are
 * shaped from the API reference (GetGeneratedPolicy:
 * https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetGeneratedPolicy.html).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyDocument } from '../../../src/model/index.js';
import {
  AccessAnalyzerJobError,
  accessAnalyzerNotes,
  type GeneratedPolicyAnswer,
  generatedUsage,
  generationInput,
  pollGeneratedPolicy,
  trailRegion,
} from '../../../src/review/access-analyzer.js';
import { parseRefineConfig } from '../../../src/review/config.js';
import { usageLine } from '../../../src/review/markdown.js';
import { planPolicy } from '../../../src/review/plan.js';

const TRAIL = 'arn:aws:cloudtrail:eu-west-1:123456789012:trail/main';
const ROLE = 'arn:aws:iam::123456789012:role/app';

function fakeClock() {
  let t = 1_000_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
  };
}

const status = (s: string, extra: Partial<GeneratedPolicyAnswer> = {}): GeneratedPolicyAnswer => ({
  jobDetails: { jobId: 'j-1', status: s },
  ...extra,
});

describe('pollGeneratedPolicy', () => {
  it('asks again with doubling waits, up to the cap, until SUCCEEDED', async () => {
    const clock = fakeClock();
    const answers = ['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED'];
    const asked: string[] = [];
    const done = await pollGeneratedPolicy(
      async (id) => {
        asked.push(id);
        return status(answers.shift() as string);
      },
      'j-1',
      { ...clock, firstDelayMs: 1000, maxDelayMs: 5000 },
    );
    assert.equal(done.jobDetails?.status, 'SUCCEEDED');
    assert.deepEqual(asked, ['j-1', 'j-1', 'j-1', 'j-1', 'j-1']);
    assert.deepEqual(clock.waits, [1000, 2000, 4000, 5000]);
  });

  it('a failed, cancelled, unknown or overdue job is an error that names the job', async () => {
    const run = (answer: GeneratedPolicyAnswer, timeoutMs?: number) =>
      pollGeneratedPolicy(async () => answer, 'j-1', { ...fakeClock(), ...(timeoutMs ? { timeoutMs } : {}) });
    await assert.rejects(
      run(
        status('FAILED', {
          jobDetails: { status: 'FAILED', jobError: { code: 'AUTHORIZATION_ERROR', message: 'denied' } },
        }),
      ),
      (e: unknown) =>
        e instanceof AccessAnalyzerJobError &&
        e.jobId === 'j-1' &&
        e.message ===
          'Access Analyzer policy generation job j-1 failed (AUTHORIZATION_ERROR: denied): check the trail, the access role and its permissions, then run again',
    );
    await assert.rejects(run(status('CANCELED')), /job j-1 was cancelled/);
    await assert.rejects(run(status('PAUSED')), /job j-1 has an unknown status "PAUSED"/);
    await assert.rejects(run(status('IN_PROGRESS'), 60_000), /job j-1 is still in progress after 60 s/);
  });
});

describe('generationInput', () => {
  it('one trail, all regions unless listed, the window as dates', () => {
    const window = { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') };
    const spec = { trailArn: TRAIL, accessRole: `${ROLE}-aa`, regions: [] };
    assert.deepEqual(generationInput(spec, ROLE, window), {
      policyGenerationDetails: { principalArn: ROLE },
      cloudTrailDetails: {
        trails: [{ cloudTrailArn: TRAIL, allRegions: true }],
        accessRole: `${ROLE}-aa`,
        startTime: window.start,
        endTime: window.end,
      },
    });
    assert.deepEqual(
      generationInput({ ...spec, regions: ['eu-west-1'] }, ROLE, window).cloudTrailDetails.trails,
      [{ cloudTrailArn: TRAIL, regions: ['eu-west-1'], allRegions: false }],
    );
    assert.equal(trailRegion(TRAIL), 'eu-west-1');
  });
});

const OWNED: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Read',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: 'arn:aws:s3:::data/*',
    },
  ],
};

function succeeded(policies: unknown[], isComplete = true): GeneratedPolicyAnswer {
  return {
    jobDetails: { jobId: 'j-1', status: 'SUCCEEDED', completedOn: new Date('2026-11-02T00:00:00Z') },
    generatedPolicyResult: {
      generatedPolicies: policies.map((p) => ({ policy: JSON.stringify(p) })),
      properties: {
        principalArn: ROLE,
        isComplete,
        cloudTrailProperties: {
          startTime: new Date('2026-10-01T00:00:00Z'),
          endTime: new Date('2026-11-01T00:00:00Z'),
          trailProperties: [{ cloudTrailArn: TRAIL, allRegions: true }],
        },
      },
    },
  };
}

describe('generatedUsage', () => {
  it('one record per action: named resources as they are, "*" as what the policy grants, else "*"', () => {
    const u = generatedUsage(
      succeeded([
        {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 'sqs:SendMessage'], Resource: '*' },
            {
              Effect: 'Allow',
              Action: 'dynamodb:GetItem',
              Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/T',
            },
            { Effect: 'Allow', Action: 's3:*', Resource: '*' },
            { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
          ],
        },
      ]),
      'j-1',
      [OWNED],
    );
    assert.deepEqual(
      u.records.map((r) => [r.service, r.operation, r.time, r.account, r.requirements]),
      [
        [
          'access-analyzer',
          'job/j-1',
          '2026-11-01T00:00:00.000Z',
          '123456789012',
          [{ action: 'dynamodb:GetItem', resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/T'] }],
        ],
        [
          'access-analyzer',
          'job/j-1',
          '2026-11-01T00:00:00.000Z',
          '123456789012',
          [{ action: 's3:GetObject', resources: ['arn:aws:s3:::data/*'] }],
        ],
        [
          'access-analyzer',
          'job/j-1',
          '2026-11-01T00:00:00.000Z',
          '123456789012',
          [{ action: 'sqs:SendMessage', resources: ['*'] }],
        ],
      ],
    );
    assert.deepEqual(u.actions, ['dynamodb:GetItem', 's3:GetObject', 'sqs:SendMessage']);
    assert.deepEqual(
      [u.start, u.end, u.trails, u.complete],
      ['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', [TRAIL], true],
    );
    assert.equal(u.notes.length, 2);
    assert.match(u.notes[0] ?? '', /names `s3:\*`, a wildcard .*left out/);
    assert.match(u.notes[1] ?? '', /not an Allow of actions .*left out/);

    // The plan: s3:GetObject used, s3:PutObject unused; the other two added, and a note for the
    // one that could be narrowed to resources.
    const plan = planPolicy(OWNED, u.records, { prune: false });
    assert.deepEqual(
      plan.added.map((a) => [a.action, a.resources, a.calls]),
      [
        [
          'dynamodb:GetItem',
          ['arn:aws:dynamodb:eu-west-1:123456789012:table/T'],
          ['access-analyzer:job/j-1'],
        ],
        ['sqs:SendMessage', ['*'], ['access-analyzer:job/j-1']],
      ],
    );
    assert.deepEqual(plan.unused, [{ statement: 'Read', kind: 'action', entry: 's3:PutObject' }]);
    assert.deepEqual(accessAnalyzerNotes(plan), [
      'sqs:SendMessage is added on "*": Access Analyzer (job j-1) does not say which resources the role used; narrow it to them before merging',
    ]);
  });

  it('a generated policy that is not a policy is an error that names the job', () => {
    const answer = succeeded([]);
    answer.generatedPolicyResult?.generatedPolicies?.push({ policy: '{"Statement": 3}' });
    assert.throws(
      () => generatedUsage(answer, 'j-9', []),
      (e: unknown) => e instanceof AccessAnalyzerJobError && e.jobId === 'j-9',
    );
  });
});

describe('usage.access_analyzer in leastpriv.yaml', () => {
  const config = (usage: string, arn = `    arn: ${ROLE}\n`) =>
    parseRefineConfig(`roles:\n  - name: app\n${arn}    policy: p.json\n    usage:\n${usage}`, 'c.yaml');

  it('reads the trail, the access role and the regions', () => {
    const r = config(
      `      access_analyzer:\n        trail_arn: ${TRAIL}\n        access_role: ${ROLE}-aa\n        regions: eu-west-1\n      days: 30\n`,
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.roles[0]?.usage, {
      calls: [],
      cloudtrail: [],
      athena: null,
      accessAnalyzer: { trailArn: TRAIL, accessRole: `${ROLE}-aa`, regions: ['eu-west-1'] },
      days: 30,
    });
  });

  it('says what is wrong, naming the role and the key', () => {
    const bad = (usage: string, arn?: string) => {
      const r = config(usage, arn);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.error;
    };
    const aa = `      access_analyzer:\n        trail_arn: ${TRAIL}\n        access_role: ${ROLE}-aa\n`;
    assert.equal(
      bad(aa, ''),
      "c.yaml: roles[0] (app).usage.access_analyzer needs the role's arn (arn: arn:aws:iam::ACCOUNT:role/app)",
    );
    assert.match(
      bad(`${aa}      days: 120\n`),
      /usage\.days is 120: Access Analyzer policy generation reads at most 90 days/,
    );
    assert.match(
      bad(`      access_analyzer:\n        trail_arn: main\n        access_role: ${ROLE}-aa\n`),
      /access_analyzer\.trail_arn must be a CloudTrail trail ARN/,
    );
    assert.match(
      bad(`      access_analyzer:\n        trail_arn: ${TRAIL}\n`),
      /access_analyzer\.access_role must be the ARN/,
    );
    assert.match(bad(`${aa}        trailArn: x\n`), /unknown key 'trailArn'/);
  });
});

describe('usageLine with Access Analyzer', () => {
  it('names the job, the trail and the window, and says when the policy is incomplete', () => {
    const accessAnalyzer = {
      jobId: 'j-1',
      actions: 3,
      trails: [TRAIL],
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
      complete: false,
    };
    assert.equal(
      usageLine({ sources: [], calls: 0, first: null, last: null, days: 30, accessAnalyzer }),
      `Usage: 3 actions from Access Analyzer policy generation, job ID \`j-1\`, trail \`${TRAIL}\`, 2026-10-01T00:00:00.000Z to 2026-11-01T00:00:00.000Z (the last 30 days). Policy generation names actions, not calls: it carries no call details.\nAccess Analyzer marks the generated policy incomplete (\`isComplete: false\`): it may lack actions the role used.`,
    );
    assert.match(
      usageLine({
        sources: ['calls/a.ndjson'],
        calls: 2,
        first: null,
        last: null,
        days: null,
        accessAnalyzer,
      }),
      /^Usage: 2 calls from `calls\/a.ndjson`\.\nUsage: 3 actions from Access Analyzer/,
    );
  });
});
