import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  identityFields,
  principalFileName,
  principalOf as principalOfFields,
  type UserIdentity,
} from '../../../src/capture/cloudtrail/principal.js';
import { authorizeAws } from '../../../src/providers/aws/authorize/index.js';

const principalOf = (u: UserIdentity | undefined) => principalOfFields(identityFields(u));

import {
  RESOURCES_PARAM,
  type TrailCall,
  trailOperation,
} from '../../../src/providers/aws/resolve/cloudtrail.js';

const ACCOUNT = '111122223333';

function call(
  source: string,
  name: string,
  requestParameters: Record<string, unknown> | null = null,
  extra: Partial<TrailCall> = {},
): TrailCall {
  return {
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    recipientAccountId: ACCOUNT,
    requestParameters,
    ...extra,
  };
}

function resolved(c: TrailCall) {
  const r = trailOperation(c);
  assert.equal(r.kind, 'resolved', JSON.stringify(r));
  if (r.kind !== 'resolved') throw new Error('unreachable');
  return r.operation;
}

describe('CloudTrail records to operations', () => {
  it('maps an S3 data event: bucketName and key become Bucket and Key', () => {
    const op = resolved(
      call('s3.amazonaws.com', 'GetObject', {
        bucketName: 'b',
        key: 'dir/k.txt',
        Host: 'b.s3.amazonaws.com',
      }),
    );
    assert.deepEqual(
      [op.service, op.operation, op.account, op.partition],
      ['s3', 'GetObject', ACCOUNT, 'aws'],
    );
    assert.equal(op.params.Bucket, 'b');
    assert.equal(op.params.Key, 'dir/k.txt');
    assert.deepEqual(
      authorizeAws(op)?.map((r) => [r.action, r.resources]),
      [['s3:GetObject', ['arn:aws:s3:::b/dir/k.txt']]],
    );
  });

  it('renames the S3 events CloudTrail names differently', () => {
    for (const [event, api] of [
      ['GetBucketPublicAccessBlock', 'GetPublicAccessBlock'],
      ['PutBucketPublicAccessBlock', 'PutPublicAccessBlock'],
      ['DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock'],
      ['GetBucketObjectLockConfiguration', 'GetObjectLockConfiguration'],
    ] as const) {
      assert.equal(resolved(call('s3.amazonaws.com', event, { bucketName: 'b' })).operation, api);
    }
  });

  it("drops the API version from Lambda's management event names", () => {
    const op = resolved(call('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', { functionName: 'f' }));
    assert.equal(op.operation, 'UpdateFunctionCode');
    assert.equal(op.params.FunctionName, 'f');
    assert.equal(resolved(call('lambda.amazonaws.com', 'ListFunctions20150331')).operation, 'ListFunctions');
  });

  it('capitalises member names and finds services by signing name and API version', () => {
    const op = resolved(call('dynamodb.amazonaws.com', 'PutItem', { tableName: 'T', key: { id: '1' } }));
    assert.equal(op.params.TableName, 'T');
    assert.equal(resolved(call('ecr.amazonaws.com', 'GetAuthorizationToken')).service, 'ecr');
    assert.equal(resolved(call('states.amazonaws.com', 'StartExecution')).service, 'states');
    const v2 = resolved(
      call('elasticloadbalancing.amazonaws.com', 'DescribeLoadBalancers', null, { apiVersion: '2015-12-01' }),
    );
    assert.equal(v2.service, 'elasticloadbalancingv2');
    const v1 = resolved(
      call('elasticloadbalancing.amazonaws.com', 'DescribeLoadBalancers', null, { apiVersion: '2012-06-01' }),
    );
    assert.equal(v1.service, 'elasticloadbalancing');
  });

  it('reads EC2 instance sets and uses resources[] ARNs as explicit resources', () => {
    const ec2 = resolved(
      call('ec2.amazonaws.com', 'StopInstances', {
        instancesSet: { items: [{ instanceId: 'i-1' }, { instanceId: 'i-2' }] },
      }),
    );
    assert.deepEqual(ec2.params.InstanceIds, ['i-1', 'i-2']);
    const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k-1`;
    const kms = resolved(call('kms.amazonaws.com', 'Decrypt', {}, { resources: [{ ARN: key }] }));
    assert.deepEqual(kms.params[RESOURCES_PARAM], [key]);
    assert.deepEqual(
      authorizeAws(kms)?.map((r) => [r.action, r.resources]),
      [['kms:Decrypt', [key]]],
    );
  });

  it('says why a record names no known service or operation', () => {
    assert.deepEqual(trailOperation(call('made-up.amazonaws.com', 'Do')), {
      kind: 'unresolved',
      reason: 'unknown-service',
      service: null,
      operation: 'Do',
      region: 'us-east-1',
    });
    const r = trailOperation(call('s3.amazonaws.com', 'NoSuchThing'));
    assert.equal(r.kind === 'unresolved' && r.reason, 'unknown-operation');
    assert.equal(r.kind === 'unresolved' && r.service, 's3');
  });
});

describe('principals', () => {
  const role = 'arn:aws:iam::111122223333:role/path/Deploy';
  it('groups an assumed-role session under its role', () => {
    assert.equal(
      principalOf({
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/Deploy/session-1',
        sessionContext: { sessionIssuer: { type: 'Role', arn: role } },
      }),
      role,
    );
    // Without the issuer, the role's name (its path is not in the session ARN).
    assert.equal(
      principalOf({ type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Deploy/s' }),
      'arn:aws:iam::111122223333:role/Deploy',
    );
  });

  it('names users, root, services and accounts', () => {
    assert.equal(principalOf({ type: 'IAMUser', arn: 'arn:aws:iam::1:user/a' }), 'arn:aws:iam::1:user/a');
    assert.equal(
      principalOf({ type: 'Root', arn: 'arn:aws:iam::111122223333:root' }),
      'arn:aws:iam::111122223333:root',
    );
    assert.equal(
      principalOf({ type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }),
      'service:lambda.amazonaws.com',
    );
    assert.equal(principalOf({ type: 'AWSAccount', accountId: '444455556666' }), 'account:444455556666');
    assert.equal(principalOf(undefined), 'unknown');
  });

  it('derives safe file names', () => {
    assert.equal(principalFileName(role), '111122223333-role-path-Deploy');
    assert.equal(principalFileName('service:lambda.amazonaws.com'), 'service-lambda.amazonaws.com');
    assert.equal(principalFileName('../../etc/passwd'), 'etc-passwd');
    assert.equal(principalFileName('..'), 'principal');
    assert.ok(principalFileName(`arn:aws:iam::1:role/${'x'.repeat(500)}`).length <= 120);
  });
});
