/** IAM policy vocabulary shared by authorize, policy and output. */

/** `{ StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] } }` */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/** One permission a call needs. */
export interface Requirement {
  /** `service:Action`, exactly as in the Service Authorization Reference. */
  action: string;
  /** Resource ARNs (or `*`). */
  resources: string[];
  conditions: ConditionBlock | null;
  /** Why the call needs it (for `--explain` and reports). */
  why: string;
  /**
   * Set when some part of a resource could not be known from the call and was widened to `*`
   * (a resource id assigned at creation, an unknown account): says what was widened.
   */
  approximate?: string;
  /** What the call may also need that the request does not show (a key's use through a service). */
  note?: string;
  /** The region the call was made in (for `aws:RequestedRegion`). */
  region?: string;
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}
