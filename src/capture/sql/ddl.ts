/**
 * The Athena table over a trail's S3 bucket: AWS's documented CloudTrail table ("Create the
 * table for CloudTrail logs in Athena using partition projection",
 * https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html)
 * with account and region projected as enums beside the day, so that one table covers an
 * organisation trail and every query prunes to the accounts, regions and days it asks for.
 */
import { identifier, literal } from './query.js';

export interface TableSpec {
  table: string;
  /** `s3://bucket/AWSLogs/` or, for an organisation trail, `s3://bucket/AWSLogs/o-xxxxxxxxxx/`. */
  location: string;
  accounts: readonly string[];
  regions: readonly string[];
  /** The first day the projection covers, `YYYY/MM/DD`. */
  since: string;
}

/** Why a spec cannot make a table, or null. */
export function tableSpecProblem(s: TableSpec): string | null {
  if (!/^s3:\/\/[^/]+\/(.+\/)?AWSLogs\/(o-[a-z0-9]{10,32}\/)?$/.test(s.location))
    return `--location '${s.location}' must be the trail's AWSLogs/ prefix: s3://BUCKET/[PREFIX/]AWSLogs/ or, for an organisation trail, s3://BUCKET/[PREFIX/]AWSLogs/o-ORGID/`;
  if (s.accounts.length === 0)
    return '--create-table needs the accounts the trail logs: --account ID (repeatable); they become the account partition values';
  if (s.regions.length === 0)
    return '--create-table needs the regions the trail logs: --region NAME (repeatable); they become the region partition values';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.table))
    return `--table '${s.table}' must be a plain table name (letters, digits, underscores)`;
  return null;
}

const STRUCT_IDENTITY = `STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>
        >
    >`;

const COLUMNS = [
  ['eventversion', 'STRING'],
  ['useridentity', STRUCT_IDENTITY],
  ['eventtime', 'STRING'],
  ['eventsource', 'STRING'],
  ['eventname', 'STRING'],
  ['awsregion', 'STRING'],
  ['sourceipaddress', 'STRING'],
  ['useragent', 'STRING'],
  ['errorcode', 'STRING'],
  ['errormessage', 'STRING'],
  ['requestparameters', 'STRING'],
  ['responseelements', 'STRING'],
  ['additionaleventdata', 'STRING'],
  ['requestid', 'STRING'],
  ['eventid', 'STRING'],
  ['readonly', 'STRING'],
  ['resources', 'ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>'],
  ['eventtype', 'STRING'],
  ['apiversion', 'STRING'],
  ['recipientaccountid', 'STRING'],
  ['serviceeventdetails', 'STRING'],
  ['sharedeventid', 'STRING'],
  ['vpcendpointid', 'STRING'],
  ['vpcendpointaccountid', 'STRING'],
  ['eventcategory', 'STRING'],
  [
    'addendum',
    'STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>',
  ],
  ['sessioncredentialfromconsole', 'STRING'],
  ['edgedevicedetails', 'STRING'],
  ['tlsdetails', 'STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>'],
] as const;

/** The CREATE EXTERNAL TABLE statement (Hive DDL, as Athena takes it). */
export function createTableDdl(s: TableSpec): string {
  const template = `${s.location}\${account}/CloudTrail/\${region}/\${timestamp}`;
  const props: [string, string][] = [
    ['projection.enabled', 'true'],
    ['projection.account.type', 'enum'],
    ['projection.account.values', s.accounts.join(',')],
    ['projection.region.type', 'enum'],
    ['projection.region.values', s.regions.join(',')],
    ['projection.timestamp.type', 'date'],
    ['projection.timestamp.format', 'yyyy/MM/dd'],
    ['projection.timestamp.interval', '1'],
    ['projection.timestamp.interval.unit', 'DAYS'],
    ['projection.timestamp.range', `${s.since},NOW`],
    ['storage.location.template', template],
  ];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${identifier(s.table).replace(/"/g, '`')} (`,
    COLUMNS.map(([name, type]) => `    ${name} ${type}`).join(',\n'),
    ')',
    'PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)',
    "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
    "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
    `LOCATION ${literal(s.location)}`,
    'TBLPROPERTIES (',
    props.map(([k, v]) => `    ${literal(k)} = ${literal(v)}`).join(',\n'),
    ')',
  ].join('\n');
}
