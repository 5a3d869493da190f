/**
 * What memora-cdn says to the GitHub Actions runner: workflow commands (`::group::`,
 * `::warning::`, ...) printed to the log, and step outputs appended to `$GITHUB_OUTPUT`.
 * Everything here is plain formatting; the logger and the commands decide when to use it.
 *
 * From GitHub's documentation ("Workflow commands for GitHub Actions"): a command's message
 * escapes `%`, CR and LF (`%25`, `%0D`, `%0A`); a property value escapes `:` and `,` too
 * (`%3A`, `%2C`). An output is `name=value`, or for a value that may hold a line break
 * `name<<DELIMITER`, the lines, then `DELIMITER`, with a delimiter that is not in the value.
 */
import { randomUUID } from 'node:crypto';

/** True when running as a step of a GitHub Actions job. */
export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** A workflow command's message: `%`, CR and LF escaped as GitHub's runner expects. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value (e.g. `title`): also `:` and `,`. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line, e.g. `::warning title=T::message` or `::endgroup::`. */
export function workflowCommand(name: string, properties: Record<string, string>, message = ''): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeCommandProperty(v)}`).join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeCommandData(message)}`;
}

/** Step outputs in `$GITHUB_OUTPUT`'s format, each safe whatever its value holds. */
export function formatStepOutputs(outputs: Record<string, string | number>, newDelimiter: () => string = () => `memora_cdn_${randomUUID()}`): string {
  let text = '';
  for (const [name, raw] of Object.entries(outputs)) {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new Error(`step output name ${JSON.stringify(name)} is not a valid identifier`);
    const value = String(raw);
    if (!/[\r\n]/.test(value)) {
      text += `${name}=${value}\n`;
      continue;
    }
    let delimiter = newDelimiter();
    while (value.includes(delimiter)) delimiter = newDelimiter();
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return text;
}
