/**
 * Command lines as a shell would split them, for checking documented commands against the CLI's
 * parser: quotes, backslash-newline continuations, `$VAR` placeholders. Pipes, `&&`, `||` and `;`
 * start a new command; a redirection or a comment ends the line.
 */
export function shellCommands(line: string, variables: Record<string, string> = {}): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let current = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  const text = line.replaceAll(/\\\n\s*/g, ' ');
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '$' && quote === '"') {
        const name = /^\{?([A-Z_][A-Z0-9_]*)\}?/.exec(text.slice(i + 1));
        current += variables[name?.[1] ?? ''] ?? '';
        i += name?.[0].length ?? 0;
      } else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (char === '$') {
      const name = /^\{?([A-Z_][A-Z0-9_]*)\}?/.exec(text.slice(i + 1));
      current += variables[name?.[1] ?? ''] ?? '';
      i += name?.[0].length ?? 0;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else if ('|;&'.includes(char)) {
      if (started) words.push(current);
      if (words.length) commands.push(words);
      words = [];
      current = '';
      started = false;
    } else if ('>#'.includes(char) || (char === '2' && text[i + 1] === '>')) {
      break;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) words.push(current);
  if (words.length) commands.push(words);
  return commands;
}

/** The argv after the CLI's name, for a command invoking it (`gatehouse …`, `npx gatehouse …`, `npm run cli -- …`). */
export function cliArgv(words: readonly string[]): string[] | undefined {
  for (let i = 0; i < words.length; i += 1) {
    if (words[i] === 'gatehouse' && (i === 0 || words[i - 1] === 'npx' || /=/.test(words[i - 1] ?? ''))) return words.slice(i + 1);
    if (words[i] === 'npm' && words[i + 1] === 'run' && words[i + 2] === 'cli' && words[i + 3] === '--') return words.slice(i + 4);
  }
  return undefined;
}

/** `$(…)` command substitutions (nested ones too) lifted out: the line with `substituted` in their place, and each inner command. */
function liftSubstitutions(line: string): string[] {
  const start = line.indexOf('$(');
  if (start === -1) return [line];
  let depth = 0;
  let quote: string | undefined;
  for (let i = start + 1; i < line.length; i += 1) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'") quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')' && --depth === 0) {
      return [...liftSubstitutions(`${line.slice(0, start)}substituted${line.slice(i + 1)}`), ...liftSubstitutions(line.slice(start + 2, i))];
    }
  }
  return [line];
}

/** Every invocation of the CLI on a documented line (a line may hold several: `a && b`, `X=$(a)`). */
export function cliInvocations(line: string, variables: Record<string, string> = {}): string[][] {
  return liftSubstitutions(line).flatMap((command) =>
    shellCommands(command, variables).flatMap((words) => {
      const argv = cliArgv(words);
      return argv ? [argv] : [];
    }),
  );
}
