/**
 * CloudFormation output: a YAML template with one `AWS::IAM::ManagedPolicy` per policy document
 * and its ARN as an output. Attach it by adding `Roles`, `Users` or `Groups` to its properties,
 * or by importing the output.
 */
import { createRequire } from 'node:module';

/** The YAML library, loaded on first use: most runs never write CloudFormation. */
const loadYaml = (() => {
  let yaml: typeof import('yaml') | null = null;
  return () => {
    yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
    return yaml;
  };
})();

import type { PolicyDocument } from '../model/index.js';

/** Logical ids: `LeastprivPolicy`, then `LeastprivPolicy2`, ... */
export function cloudFormationId(index: number): string {
  return index === 0 ? 'LeastprivPolicy' : `LeastprivPolicy${index + 1}`;
}

export function renderCloudFormation(documents: readonly PolicyDocument[]): string {
  const resources: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  documents.forEach((doc, i) => {
    const id = cloudFormationId(i);
    const part = documents.length > 1 ? ` (part ${i + 1} of ${documents.length})` : '';
    resources[id] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description: `Least-privilege policy written by leastpriv${part}`,
        PolicyDocument: doc,
      },
    };
    outputs[`${id}Arn`] = { Description: `ARN of ${id}`, Value: { Ref: id } };
  });
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'Least-privilege IAM policy written by leastpriv from observed API calls',
    Resources: resources,
    Outputs: outputs,
  };
  // YAML 1.1 rules: CloudFormation reads `2012-10-17` unquoted as a date, so it is quoted.
  return loadYaml().stringify(template, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
