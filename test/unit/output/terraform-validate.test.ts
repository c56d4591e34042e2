/**
 * The generated HCL passes `terraform validate` with the real AWS provider, offline: the
 * provider comes from the filesystem mirror (LEASTPRIV_TF_MIRROR, default /opt/tf-plugins).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PolicyDocument } from '../../../src/model/index.js';
import { renderPolicy } from '../../../src/output/policy.js';

const SAMPLE = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/policy/sample-documents.json', import.meta.url), 'utf8'),
) as PolicyDocument[];

const PROVIDER_VERSION = '5.100.0';
const MIRROR = process.env.LEASTPRIV_TF_MIRROR ?? '/opt/tf-plugins';

describe('output/terraform validate', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'leastpriv-tf-validate-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('terraform validate and terraform fmt accept the generated data blocks', () => {
    const providerDir = join(MIRROR, 'registry.terraform.io', 'hashicorp', 'aws', PROVIDER_VERSION);
    assert.ok(
      existsSync(providerDir),
      `needs the Terraform AWS provider ${PROVIDER_VERSION} in a filesystem mirror at ${MIRROR} (set LEASTPRIV_TF_MIRROR)`,
    );
    const version = spawnSync('terraform', ['version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, `needs terraform on PATH: ${version.error?.message ?? version.stderr}`);
    writeFileSync(
      join(work, 'cli.tfrc'),
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(MIRROR)}\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n`,
    );
    writeFileSync(
      join(work, 'versions.tf'),
      `terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "${PROVIDER_VERSION}"\n    }\n  }\n}\n\nresource "aws_iam_policy" "leastpriv" {\n  name   = "leastpriv"\n  policy = data.aws_iam_policy_document.leastpriv.json\n}\n`,
    );
    writeFileSync(join(work, 'policy.tf'), renderPolicy(SAMPLE, 'terraform'));
    const env = {
      PATH: process.env.PATH,
      HOME: work,
      TF_CLI_CONFIG_FILE: join(work, 'cli.tfrc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
    const run = (args: string[]) =>
      spawnSync('terraform', args, { cwd: work, env, encoding: 'utf8', timeout: 90_000 });
    const init = run(['init', '-backend=false', '-no-color']);
    assert.equal(init.status, 0, init.stdout + init.stderr);
    const validate = run(['validate', '-no-color']);
    assert.equal(validate.status, 0, validate.stdout + validate.stderr);
    assert.match(validate.stdout, /The configuration is valid/);
    const fmt = run(['fmt', '-check', '-diff', 'policy.tf']);
    assert.equal(fmt.status, 0, `terraform fmt would change the output:\n${fmt.stdout}`);
  });
});
