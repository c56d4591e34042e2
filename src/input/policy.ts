/**
 * An existing policy from any of the forms teams keep it in: policy JSON, a Terraform file, a
 * CloudFormation template (JSON or YAML). The form is told from the file name, then the content.
 */
import type { Parsed } from './calls-log.js';
import { isTemplate, parseTemplate, policiesFromTemplate, type TemplateContext } from './cloudformation.js';
import { policiesFromJson } from './policy-json.js';
import { type LoadedPolicies, policiesFromTerraform } from './terraform.js';

export type { LoadedPolicies } from './terraform.js';

export function parsePolicyInput(
  text: string,
  name: string,
  ctx: TemplateContext = {},
): Parsed<LoadedPolicies> {
  const trimmed = text.trimStart();
  const looksHcl =
    /\.tf$/i.test(name) || /^\s*(data|resource|locals|variable|terraform|provider)\s+["{]/m.test(text);
  if (looksHcl && !trimmed.startsWith('{') && !trimmed.startsWith('['))
    return policiesFromTerraform(text, name);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, error: `${name}: not valid JSON (${(err as Error).message})` };
    }
    if (isTemplate(value)) return policiesFromTemplate(value, name, ctx);
    const docs = policiesFromJson(value, name);
    if (!docs.ok) return docs;
    return { ok: true, value: { documents: docs.value, labels: docs.value.map(() => name), notes: [] } };
  }
  const template = parseTemplate(text, name);
  if (!template.ok) return template;
  if (!isTemplate(template.value)) {
    return {
      ok: false,
      error: `${name}: not a policy: expected policy JSON, a Terraform file or a CloudFormation template`,
    };
  }
  return policiesFromTemplate(template.value, name, ctx);
}
