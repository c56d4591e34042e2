/** Statement ids derived from content: service, access level, resources (`S3ReadObjects`). */
import { resourceTypeOfArn, type SarAction } from '../catalog/sar.js';

const SERVICE_LABELS: Record<string, string> = {
  apigateway: 'APIGateway',
  autoscaling: 'AutoScaling',
  bedrock: 'Bedrock',
  cloudformation: 'CloudFormation',
  cloudwatch: 'CloudWatch',
  dynamodb: 'DynamoDB',
  ec2: 'EC2',
  ecr: 'ECR',
  ecs: 'ECS',
  eks: 'EKS',
  elasticloadbalancing: 'ELB',
  events: 'EventBridge',
  iam: 'IAM',
  kms: 'KMS',
  lambda: 'Lambda',
  logs: 'Logs',
  rds: 'RDS',
  route53: 'Route53',
  s3: 'S3',
  secretsmanager: 'SecretsManager',
  ses: 'SES',
  sns: 'SNS',
  sqs: 'SQS',
  ssm: 'SSM',
  states: 'StepFunctions',
  sts: 'STS',
};

/** `log-group` -> `LogGroup`; keeps letters and digits only. */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');
}

export function serviceLabel(prefix: string): string {
  return SERVICE_LABELS[prefix] ?? pascal(prefix);
}

function plural(word: string): string {
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** The name a resource is known by: the last part of its ARN's resource id. */
function resourceName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split(/[/:]/).filter((p) => p && p !== '*');
  return parts[parts.length - 1] ?? '';
}

function resourceLabel(action: SarAction, resources: string[]): string {
  if (resources.length === 1 && resources[0] === '*') return '';
  const types = new Set<string>();
  for (const r of resources) types.add(pascal(resourceTypeOfArn(action, r)?.name ?? 'resource'));
  if (resources.length === 1) {
    const [type = 'Resource'] = types;
    const name = pascal(resourceName(resources[0] ?? '')).slice(0, 40);
    if (!name || resources[0]?.endsWith('*')) return plural(type);
    return name.toLowerCase().endsWith(type.toLowerCase()) ? name : `${name}${type}`;
  }
  const sorted = [...types].sort();
  if (sorted.length > 2) return 'Resources';
  return sorted.map(plural).join('And');
}

export type LevelGroup = 'Read' | 'Write' | 'Tag' | 'Permissions';

export function levelGroup(access: SarAction['access']): LevelGroup {
  switch (access) {
    case 'List':
    case 'Read':
      return 'Read';
    case 'Tagging':
      return 'Tag';
    case 'Permissions management':
      return 'Permissions';
    default:
      return 'Write';
  }
}

export function baseSid(action: SarAction, level: LevelGroup, resources: string[]): string {
  return `${serviceLabel(action.prefix)}${level}${resourceLabel(action, resources)}`;
}

/** Unique Sids in statement order: repeats get 2, 3, ... */
export function uniqueSids(bases: string[]): string[] {
  const seen = new Map<string, number>();
  return bases.map((b) => {
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return n === 1 ? b : `${b}${n}`;
  });
}
