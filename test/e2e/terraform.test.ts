/**
 * Terraform init, apply and destroy through `leastpriv run`, offline (the AWS provider comes
 * from the filesystem mirror), with no endpoints in the provider block: every call goes to the
 * real AWS host names and leastpriv forwards it to moto (--upstream).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertCaptureInvariants,
  assertOk,
  type CallRecord,
  callLines,
  callsOf,
  explain,
  FIXTURES,
  leastprivRun,
  type Moto,
  opView,
  type RunResult,
  requireTools,
  SYSTEM_BUNDLE,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const PROVIDER_VERSION = '5.100.0';
const MIRROR = process.env.LEASTPRIV_TF_MIRROR ?? '/opt/tf-plugins';
const BUCKET = 'leastpriv-e2e-tf-data';
const HOSTS = {
  s3: `${BUCKET}.s3.amazonaws.com`,
  ecr: 'api.ecr.us-east-1.amazonaws.com',
  dynamodb: 'dynamodb.us-east-1.amazonaws.com',
  iam: 'iam.amazonaws.com',
  sts: 'sts.us-east-1.amazonaws.com',
};

/** Exactly one record of the operation, with these exact fields. */
function assertOne(r: RunResult, service: keyof typeof HOSTS, operation: string): void {
  const found = callsOf(r.calls, service, operation);
  assert.equal(found.length, 1, `expected one ${service} ${operation}: ${explain(r)}`);
  assert.deepEqual(opView(found[0] as CallRecord), {
    host: HOSTS[service],
    method: 'POST',
    status: 200,
    error: null,
    service,
    operation,
    region: 'us-east-1',
    unresolved: null,
  });
}

/** What holds for every record of a Terraform run against this config. */
function assertTerraformCalls(r: RunResult): void {
  assertCaptureInvariants(r);
  for (const c of r.calls) {
    const line = JSON.stringify(c);
    assert.equal(c.region, 'us-east-1', line);
    assert.ok((c.status ?? 0) < 500, `a server error: ${line}`);
    assert.ok(
      ['s3', 'ecr', 'dynamodb', 'iam', 'sts'].includes(c.service ?? ''),
      `unexpected service: ${line}`,
    );
    if (c.service !== 's3') {
      // JSON and query protocols name the operation in the request: these always resolve.
      assert.equal(c.unresolved, null, line);
      assert.notEqual(c.operation, null, line);
    }
  }
  assert.deepEqual(
    [...new Set(r.calls.map((c) => c.host))].sort(),
    [
      // aws-sdk-go-v2's DynamoDB account-based endpoint (ListTagsOfResource in 5.100.0).
      '123456789012.ddb.us-east-1.amazonaws.com',
      HOSTS.ecr,
      HOSTS.dynamodb,
      HOSTS.iam,
      HOSTS.s3,
      HOSTS.sts,
    ],
    explain(r),
  );
  // The provider validates the credentials with STS (no skip_* settings in the config).
  const sts = r.calls.filter((c) => c.service === 'sts');
  assert.ok(sts.length >= 1, `no STS call: ${explain(r)}`);
  for (const c of sts) assert.equal(c.operation, 'GetCallerIdentity', JSON.stringify(c));
}

describe('Terraform through leastpriv run', { timeout: 240_000 }, () => {
  let moto: Moto;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const terraform = (args: string[]): Promise<RunResult> =>
    leastprivRun(['terraform', ...args, '-no-color'], {
      env,
      cwd: work,
      timeoutMs: 120_000,
      options: ['--upstream', moto.url],
    });

  before(async () => {
    requireTools('moto_server', 'terraform');
    const providerDir = join(MIRROR, 'registry.terraform.io', 'hashicorp', 'aws', PROVIDER_VERSION);
    assert.ok(
      fs.existsSync(providerDir),
      `this test needs the Terraform AWS provider ${PROVIDER_VERSION} in a filesystem mirror at ${MIRROR} ` +
        `(missing ${providerDir}): run \`terraform providers mirror ${MIRROR}\` on a config that requires ` +
        `hashicorp/aws ${PROVIDER_VERSION}, or set LEASTPRIV_TF_MIRROR to the mirror's folder`,
    );
    moto = await startMoto();
    work = tempDir('tf');
    fs.copyFileSync(join(FIXTURES, 'terraform', 'main.tf'), join(work, 'main.tf'));
    const cliConfig = join(work, 'cli.tfrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(MIRROR)}
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`,
    );
    env = testEnv(tempDir('tf-home'), {
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    });
  });

  after(async () => {
    await moto?.stop();
  });

  it('init works with the proxy variables set and makes no AWS call', async () => {
    const r = await terraform(['init']);
    assertOk(r, 'terraform init');
    assert.match(r.stdout, /Terraform has been successfully initialized!/);
    assert.match(r.stdout, new RegExp(`Installed hashicorp/aws v${PROVIDER_VERSION.replace(/\./g, '\\.')}`));
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls, []);
  });

  it('apply creates the bucket, ECR repository and lifecycle policy, table and role', async () => {
    const r = await terraform(['apply', '-auto-approve']);
    assertOk(r, 'terraform apply');
    assert.match(r.stdout, /Apply complete! Resources: 5 added, 0 changed, 0 destroyed\./);
    assertTerraformCalls(r);
    assertOne(r, 'ecr', 'CreateRepository');
    assertOne(r, 'ecr', 'PutLifecyclePolicy');
    assertOne(r, 'dynamodb', 'CreateTable');
    assertOne(r, 'iam', 'CreateRole');
    const puts = callLines(r.calls).filter((l) => l.startsWith('PUT '));
    assert.deepEqual(puts, [`PUT ${HOSTS.s3}/ 200`], 'one CreateBucket PUT');
  });

  it('destroy deletes them all', async () => {
    const r = await terraform(['destroy', '-auto-approve']);
    assertOk(r, 'terraform destroy');
    assert.match(r.stdout, /Destroy complete! Resources: 5 destroyed\./);
    assertTerraformCalls(r);
    assertOne(r, 'ecr', 'DeleteLifecyclePolicy');
    assertOne(r, 'ecr', 'DeleteRepository');
    assertOne(r, 'dynamodb', 'DeleteTable');
    assertOne(r, 'iam', 'DeleteRole');
    const deletes = callLines(r.calls).filter((l) => l.startsWith('DELETE '));
    assert.deepEqual(deletes, [`DELETE ${HOSTS.s3}/ 204`], 'one DeleteBucket DELETE');
  });

  it('a Terraform whose AWS_CA_BUNDLE ignores the CA is stopped fast (exit 3) and told which setting to fix', async () => {
    // The AWS provider (aws-sdk-go-v2) trusts only AWS_CA_BUNDLE when it is set: pointing it
    // back at the system bundle makes the provider reject leastpriv's certificate and retry.
    const r = await leastprivRun(
      ['sh', '-c', `AWS_CA_BUNDLE=${SYSTEM_BUNDLE} exec terraform plan -no-color`],
      { env, cwd: work, timeoutMs: 90_000, options: ['--upstream', moto.url] },
    );
    assert.equal(r.code, 3, explain(r));
    assert.ok(r.ms < 30_000, `took ${r.ms} ms to stop Terraform: ${explain(r)}`);
    assert.match(r.stderr, /rejected leastpriv's certificate for sts\.us-east-1\.amazonaws\.com/, explain(r));
    assert.deepEqual(r.calls, []);
    assert.match(
      r.stderr,
      /ignores the CA bundle set in [^.]*AWS_CA_BUNDLE/,
      'product bug: for Terraform / aws-sdk-go the message must name AWS_CA_BUNDLE, the setting the ' +
        `provider actually ignored (with SSL_CERT_FILE correct it still rejects): ${r.stderr}`,
    );
  });
});
