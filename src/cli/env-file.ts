/**
 * Settings from a `.env` file in the current folder, parsed by Node's own dotenv parser. A
 * variable already set in the environment wins, as with `node --env-file` (set empty, it hides
 * the file's value: a way to leave a setting out for one run). A byte order mark (Notepad,
 * PowerShell) is dropped: Node's parser would make it part of the first name. Node's
 * parser skips what it cannot read without a word, so each line is checked first: a malformed
 * file is a configuration error that names the line, never its text (which may hold a secret).
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors.ts';

const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][\w.-]*\s*=\s*(.*)$/;
const QUOTES = ['"', "'", '`'];

/** The environment with the file's variables added (none when the file does not exist). */
export function withEnvFile(env: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return env;
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  checkLines(file, text);
  return { ...parseEnv(text), ...env };
}

function checkLines(file: string, text: string): void {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const value = ASSIGNMENT.exec(line)?.[1];
    if (value === undefined) throw new ConfigError(`${file} line ${i + 1}: expected NAME=value (or a # comment)`);
    const quote = QUOTES.find((q) => value.startsWith(q));
    if (quote === undefined || value.indexOf(quote, 1) > 0) continue;
    // A quoted value may span lines up to its closing quote.
    const start = i;
    do i++;
    while (i < lines.length && !(lines[i] ?? '').includes(quote));
    if (i >= lines.length) throw new ConfigError(`${file} line ${start + 1}: the quoted value is never closed`);
  }
}
