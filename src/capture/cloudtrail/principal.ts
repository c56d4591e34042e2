/**
 * The identity that acted, as one stable name per principal: an assumed-role session belongs
 * to its role, a federated session to the user that federated, an IAM user and the root user
 * to their own ARNs, an AWS service to its service principal.
 */

export interface UserIdentity {
  type?: string;
  arn?: string;
  accountId?: string;
  principalId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: { sessionIssuer?: { type?: string; arn?: string; userName?: string } };
}

/**
 * The identity fields a principal is named from, flat: strings as the record holds them,
 * undefined when absent or not a string.
 */
export interface IdentityFields {
  type: string | undefined;
  arn: string | undefined;
  accountId: string | undefined;
  invokedBy: string | undefined;
  userName: string | undefined;
  /** `sessionContext.sessionIssuer.arn`: the role or user behind a session. */
  issuerArn: string | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The flat fields of a parsed `userIdentity`. */
export function identityFields(identity: UserIdentity | null | undefined): IdentityFields {
  const u: UserIdentity = identity && typeof identity === 'object' ? identity : {};
  const issuer =
    u.sessionContext && typeof u.sessionContext === 'object' ? u.sessionContext.sessionIssuer : undefined;
  return {
    type: str(u.type),
    arn: str(u.arn),
    accountId: str(u.accountId),
    invokedBy: str(u.invokedBy),
    userName: str(u.userName),
    issuerArn: str(issuer && typeof issuer === 'object' ? issuer.arn : undefined),
  };
}

const ASSUMED = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** The principal a record belongs to (an ARN, or `service:NAME` / `account:ID` / `unknown`). */
export function principalOf(identity: IdentityFields): string {
  switch (identity.type) {
    case 'AssumedRole':
    case 'FederatedUser':
      if (identity.issuerArn) return identity.issuerArn;
      break;
    case 'AWSService':
      return `service:${identity.invokedBy ?? 'unknown'}`;
    case 'AWSAccount':
      return identity.accountId ? `account:${identity.accountId}` : 'unknown';
    default:
      break;
  }
  const arn = identity.arn;
  if (arn) {
    const m = ASSUMED.exec(arn);
    // Without a session issuer the role's path is unknown: its name is all the session says.
    if (m) return `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`;
    return arn;
  }
  if (identity.invokedBy) return `service:${identity.invokedBy}`;
  if (identity.userName) return `user:${identity.userName}`;
  if (identity.accountId) return `account:${identity.accountId}`;
  return 'unknown';
}

/**
 * A file name for a principal's policy: the ARN's account and resource part, every character
 * outside `[A-Za-z0-9._-]` replaced, never a dot first, at most 120 characters.
 */
export function principalFileName(principal: string): string {
  const m = /^arn:[^:]*:[^:]*:[^:]*:(\d*):(.+)$/.exec(principal);
  const base = m ? `${m[1] ? `${m[1]}-` : ''}${m[2]}` : principal;
  const safe = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '');
  return (safe || 'principal').slice(0, 120);
}
