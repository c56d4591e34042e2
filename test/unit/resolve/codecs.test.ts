/** The resolver's own decoders and helpers: CBOR, XML, forms, access keys, hosts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiIndex } from '../../../src/catalog/api-index.js';
import { CborError, decodeCbor } from '../../../src/providers/aws/resolve/cbor.js';
import { parseHost, servicesForHost } from '../../../src/providers/aws/resolve/hosts.js';
import { resolveAws } from '../../../src/providers/aws/resolve/index.js';
import { formParams } from '../../../src/providers/aws/resolve/params.js';
import { accountFromAccessKey, partitionOf } from '../../../src/providers/aws/resolve/partition.js';
import { parseXml, XmlError } from '../../../src/providers/aws/resolve/xml.js';
import { observed, signed } from './synthesize.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

test('CBOR: RFC 8949 appendix A examples', () => {
  assert.equal(decodeCbor(hex('00')), 0);
  assert.equal(decodeCbor(hex('1903e8')), 1000);
  assert.equal(decodeCbor(hex('3903e7')), -1000);
  assert.equal(decodeCbor(hex('1b000000e8d4a51000')), 1000000000000);
  assert.equal(decodeCbor(hex('1bffffffffffffffff')), 18446744073709551615n);
  assert.equal(decodeCbor(hex('f93c00')), 1);
  assert.equal(decodeCbor(hex('f97bff')), 65504);
  assert.equal(decodeCbor(hex('fa47c35000')), 100000);
  assert.equal(decodeCbor(hex('fb3ff199999999999a')), 1.1);
  assert.equal(decodeCbor(hex('f4')), false);
  assert.equal(decodeCbor(hex('f6')), null);
  assert.equal(decodeCbor(hex('6449455446')), 'IETF');
  assert.deepEqual(decodeCbor(hex('83010203')), [1, 2, 3]);
  assert.deepEqual(decodeCbor(hex('a26161016162820203')), { a: 1, b: [2, 3] });
  assert.deepEqual(decodeCbor(hex('7f657374726561646d696e67ff')), 'streaming');
  assert.deepEqual(decodeCbor(hex('9f018202039f0405ffff')), [1, [2, 3], [4, 5]]);
  assert.deepEqual(decodeCbor(hex('bf61610161629f0203ffff')), { a: 1, b: [2, 3] });
  assert.equal(decodeCbor(hex('c11a514b67b0')), 1363896240);
  assert.deepEqual(decodeCbor(hex('4401020304')), Uint8Array.of(1, 2, 3, 4));
});

test('CBOR: malformed input is a CborError, never a crash', () => {
  for (const bad of ['', '18', '1a0000', '62ff', 'a1', '9f01', 'ff', '7f01ff', 'c1', '00 00', '1c']) {
    assert.throws(() => decodeCbor(hex(bad)), CborError, bad);
  }
  const deep = new Uint8Array(200).fill(0x81);
  assert.throws(() => decodeCbor(deep), CborError);
});

test('XML: elements, repeats, entities, CDATA, namespaces', () => {
  const doc = parseXml(
    '<?xml version="1.0"?><s3:Tagging xmlns:s3="x"><TagSet><Tag><Key>a&amp;b</Key><Value><![CDATA[<v>]]></Value></Tag><Tag><Key>c</Key><Value/></Tag></TagSet></s3:Tagging>',
  );
  assert.equal(doc.name, 'Tagging');
  assert.deepEqual(doc.value, {
    TagSet: {
      Tag: [
        { Key: 'a&b', Value: '<v>' },
        { Key: 'c', Value: '' },
      ],
    },
  });
  for (const bad of ['<a>', '<a></b>', '', '<a>x</a><b/>', '<a'])
    assert.throws(() => parseXml(bad), XmlError, bad);
});

test('forms: lists, maps and EC2 names', () => {
  const form = new URLSearchParams(
    'Action=X&Version=1&Tags.member.1.Key=k&Tags.member.1.Value=v&Attributes.entry.1.key=a&Attributes.entry.1.value=b&InstanceId.1=i-1&InstanceId.2=i-2',
  );
  assert.deepEqual(formParams(form, { InstanceId: 'InstanceIds' }), {
    Tags: [{ Key: 'k', Value: 'v' }],
    Attributes: { a: 'b' },
    InstanceIds: ['i-1', 'i-2'],
  });
});

test('access keys, partitions', () => {
  assert.equal(accountFromAccessKey('ASIAY34FZKBOKMUTVV7A'), '609629065308');
  assert.equal(accountFromAccessKey('AKIAIOSFODNN7EXAMPLE'), null);
  assert.equal(accountFromAccessKey('AROAEXAMPLE'), null);
  assert.equal(partitionOf('cn-north-1'), 'aws-cn');
  assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
  assert.equal(partitionOf('us-isob-east-1'), 'aws-iso-b');
  assert.equal(partitionOf('eu-west-3'), 'aws');
});

test('hosts: region, markers and host prefixes', () => {
  assert.deepEqual(parseHost('sqs-fips.us-east-1.amazonaws.com'), {
    aws: true,
    partition: 'aws',
    region: 'us-east-1',
    labels: ['sqs'],
  });
  assert.equal(parseHost('example.com').aws, false);
  assert.equal(parseHost('iam.us-gov.amazonaws.com').partition, 'aws-us-gov');
  const m = servicesForHost(apiIndex(), parseHost('data-servicediscovery.us-east-1.amazonaws.com').labels);
  assert.deepEqual(
    m.map((x) => [x.service.id, x.prefix]),
    [['servicediscovery', 'data-']],
  );
});

test('garbage requests resolve to values, never exceptions', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const hosts = [
    's3.amazonaws.com',
    'b.s3.amazonaws.com',
    'sqs.us-east-1.amazonaws.com',
    'x.y.z',
    'monitoring.us-east-1.amazonaws.com',
  ];
  const services = ['s3', 'sqs', 'monitoring', 'nope', 'dynamodb'];
  for (let i = 0; i < 2000; i++) {
    const body = Uint8Array.from({ length: rand(40) }, () => rand(256));
    const call = observed({
      host: hosts[rand(hosts.length)] as string,
      method: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'][rand(5)] as string,
      path: ['/', '/%zz/%', '/service/GraniteServiceVersion20100801/operation/GetMetricData', '/a/b/c', '//'][
        rand(5)
      ] as string,
      query: ['', 'x-id=%', 'Action=ListQueues', 'acl&&=', 'list-type=2'][rand(5)] as string,
      headers: {
        authorization: signed(services[rand(services.length)] as string),
        ...(rand(3) === 0
          ? { 'x-amz-target': ['AmazonSQS.ListQueues', '.', 'a.b.c', ''][rand(4)] as string }
          : {}),
        ...(rand(3) === 0
          ? { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/x-www-form-urlencoded' }
          : {}),
      },
      body,
      bodyTruncated: rand(2) === 0,
    });
    const r = resolveAws(call, { accountId: null, learnedAccount: null });
    assert.ok(r.kind === 'resolved' || r.kind === 'unresolved');
  }
});
