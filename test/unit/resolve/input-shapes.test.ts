/**
 * Input shapes: XML bodies and query forms mapped to model member names, lists and maps, from
 * the shape tables the API index carries (scripts/api-index/xml-shapes.mjs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiIndex, type RawOperation, type XmlShape, xmlInputShape } from '../../../src/catalog/api-index.js';
import { formProtocolParams, shapeForm } from '../../../src/providers/aws/resolve/extract.js';
import { formParams } from '../../../src/providers/aws/resolve/params.js';
import { parseXml, shapeXml } from '../../../src/providers/aws/resolve/xml.js';

function shapeOf(service: string, operation: string): XmlShape {
  const op = apiIndex().services.get(service)?.ops[operation] as RawOperation;
  const shape = xmlInputShape(op);
  assert.ok(shape, `${service}:${operation} has an input shape`);
  return shape;
}

const xml = (service: string, operation: string, body: string) =>
  shapeXml(parseXml(body).value, shapeOf(service, operation));

test('XML: flattened and wrapped lists are lists, even of one item or none', () => {
  assert.deepEqual(xml('s3', 'DeleteObjects', '<Delete><Object><Key>a</Key></Object></Delete>'), {
    Objects: [{ Key: 'a' }],
  });
  assert.deepEqual(xml('s3', 'PutBucketTagging', '<Tagging><TagSet/></Tagging>'), { TagSet: [] });
  assert.deepEqual(
    xml(
      's3',
      'PutBucketTagging',
      '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>',
    ),
    { TagSet: [{ Key: 'k', Value: 'v' }] },
  );
  // an empty structure is an empty structure
  assert.deepEqual(
    xml(
      's3',
      'PutBucketLifecycleConfiguration',
      '<LifecycleConfiguration><Rule><Filter/></Rule></LifecycleConfiguration>',
    ),
    { Rules: [{ Filter: {} }] },
  );
});

test('XML: wrapped list items under another name, text where a structure is due, unknown elements', () => {
  // a client naming the items differently: a single kind of child is still the list's items
  assert.deepEqual(
    xml('s3', 'PutBucketTagging', '<Tagging><TagSet><Item><Key>k</Key></Item></TagSet></Tagging>'),
    { TagSet: [{ Key: 'k' }] },
  );
  assert.deepEqual(
    xml('s3', 'PutBucketTagging', '<Tagging><TagSet>text</TagSet><Other>1</Other></Tagging>'),
    {
      TagSet: 'text',
      Other: '1',
    },
  );
});

test('XML and forms: element and key names never reach the prototype', () => {
  const v = xml(
    's3',
    'DeleteObjects',
    '<Delete><__proto__><a>1</a></__proto__><toString>x</toString></Delete>',
  ) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v).sort(), ['__proto__', 'toString']);
  const sqs = shapeOf('sqs', 'CreateQueue');
  const form = shapeForm(
    formParams(
      new URLSearchParams('QueueName=q&Attribute.1.Name=__proto__&Attribute.1.Value=x&constructor=1'),
    ),
    sqs,
  ) as Record<string, unknown>;
  assert.deepEqual(form.Attributes, {});
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('forms: flattened maps, named list items, EC2 nested names', () => {
  const form = (service: string, operation: string, q: string) =>
    shapeForm(formParams(new URLSearchParams(q)), shapeOf(service, operation));
  assert.deepEqual(
    form('sqs', 'CreateQueue', 'QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5'),
    {
      QueueName: 'q',
      Attributes: { DelaySeconds: '5' },
    },
  );
  assert.deepEqual(form('rds', 'CreateDBInstance', 'VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1'), {
    VpcSecurityGroupIds: ['sg-1'],
  });
  assert.deepEqual(
    form('ec2', 'RunInstances', 'TagSpecification.1.ResourceType=volume&TagSpecification.1.Tag.1.Key=k'),
    {
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'k' }] }],
    },
  );
});

test('every shape table entry an operation names exists and links', () => {
  let ops = 0;
  for (const svc of apiIndex().services.values()) {
    for (const [name, op] of Object.entries(svc.ops)) {
      if (op.X === undefined) continue;
      ops++;
      assert.ok(svc.t && op.X < svc.t.length, `${svc.id}:${name}`);
      assert.ok(xmlInputShape(op), `${svc.id}:${name}`);
    }
  }
  assert.ok(ops > 500, `${ops} operations with input shapes`);
});

test('forms: a __proto__ key segment never reaches Object.prototype', () => {
  const form = new URLSearchParams(
    'Action=ListUsers&Version=2010-05-08&__proto__.polluted=1&a.__proto__.b=2',
  );
  const op = apiIndex().services.get('iam')?.ops.ListUsers as RawOperation;
  const { params } = formProtocolParams(op, form, false);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).b, undefined);
  assert.equal(Object.getPrototypeOf(params), Object.prototype);
});

test('form parameters from untrusted requests never write onto an object prototype', () => {
  const params = formParams(
    new URLSearchParams(
      'Action=ListUsers&__proto__.polluted=1&constructor.prototype.polluted=1&PathPrefix=%2F',
    ),
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(params, { PathPrefix: '/' });
});
