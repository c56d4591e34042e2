/**
 * Loading an optional AWS SDK v3 client: installed by default, loaded only by the command that
 * needs it, and a one-line error naming the package when it is missing.
 */
import { LeastprivError } from '../errors.js';

export async function loadAwsSdk<T>(load: () => Promise<T>, pkg: string, who: string): Promise<T> {
  // The SDK's notice about future Node.js support is for its developers, not our users.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    return await load();
  } catch {
    throw new LeastprivError('usage', `${who} through ${pkg}, which is not installed: npm install ${pkg}`);
  }
}
