/**
 * Command-line flags for the experiment commands, declared once with their
 * type, default and help, so parsing, validation and `--help` come from the
 * same table. Every mistake is a UsageError naming the command, the flag and
 * the value (the CLI prints it in one line and exits with code 2).
 */
import { closestName } from '../../api/closest.js';

/** A mistake on the command line: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One flag: its kind, default and help line. */
export type FlagSpec =
  | { type: 'bool'; help: string }
  | { type: 'int'; help: string; default?: number; min?: number; max?: number }
  | {
      type: 'number';
      help: string;
      default?: number;
      positive?: boolean;
      /** Shown in the error, e.g. '1e-8'. */
      example?: string;
    }
  | { type: 'string'; help: string; default?: string; metavar?: string }
  | {
      type: 'choice';
      help: string;
      choices: readonly string[];
      default?: string;
    };

type ValueOf<F extends FlagSpec> = F extends { type: 'bool' }
  ? boolean
  : F extends { type: 'int' | 'number' }
    ? number
    : string;

/** Parsed values: flags with a default (and bools) are always set. */
export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K] extends { type: 'bool' } | { default: unknown }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
};

/** What parseFlags returns. */
export interface ParsedFlags<S extends Record<string, FlagSpec>> {
  values: FlagValues<S>;
  /** Flags the user gave (not defaults). */
  given: ReadonlySet<keyof S & string>;
  positionals: string[];
}

function convert(cmd: string, name: string, f: FlagSpec, raw: string): unknown {
  const bad = (what: string): never => {
    throw new UsageError(`${cmd}: --${name} must be ${what}; got "${raw}".`);
  };
  switch (f.type) {
    case 'int': {
      const v = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      const min = f.min ?? -Infinity;
      const max = f.max ?? Infinity;
      if (!Number.isSafeInteger(v) || v < min || v > max) {
        const range =
          min === 1 && max === Infinity
            ? 'a positive integer'
            : `an integer${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}`;
        bad(range);
      }
      return v;
    }
    case 'number': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v) || (f.positive && v <= 0)) {
        const eg = f.example ? ` (e.g. ${f.example})` : '';
        bad(`${f.positive ? 'a positive number' : 'a number'}${eg}`);
      }
      return v;
    }
    case 'choice':
      if (!f.choices.includes(raw)) {
        const c = f.choices;
        bad(c.length === 2 ? `${c[0]} or ${c[1]}` : `one of ${c.join(', ')}`);
      }
      return raw;
    default:
      return raw;
  }
}

/**
 * Parse `argv` against `spec`. Accepts `--name value` and `--name=value`.
 * @example
 * const { values } = parseFlags('optnet sudoku', ['--epochs', '3'], {
 *   epochs: { type: 'int', default: 20, min: 1, help: 'passes over the data' },
 * }); // values.epochs === 3
 */
export function parseFlags<S extends Record<string, FlagSpec>>(
  cmd: string,
  argv: readonly string[],
  spec: S,
): ParsedFlags<S> {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const f = spec[name];
    if (f === undefined) {
      const near = closestName(name, Object.keys(spec));
      const hint = near ? ` Did you mean --${near}?` : '';
      const known = Object.keys(spec)
        .map((k) => `--${k}`)
        .join(', ');
      throw new UsageError(
        `${cmd}: unknown flag; got --${name}.${hint} Known flags: ${known}.`,
      );
    }
    if (given.has(name)) {
      throw new UsageError(
        `${cmd}: --${name} given twice; got "${arg}" again.`,
      );
    }
    given.add(name);
    if (f.type === 'bool') {
      if (eq >= 0)
        throw new UsageError(`${cmd}: --${name} takes no value; got "${arg}".`);
      values[name] = true;
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) {
      throw new UsageError(
        `${cmd}: --${name} needs a value; got none. Write --${name} VALUE.`,
      );
    }
    values[name] = convert(cmd, name, f, raw);
  }
  for (const [name, f] of Object.entries(spec)) {
    if (name in values) continue;
    if (f.type === 'bool') values[name] = false;
    else if ('default' in f && f.default !== undefined)
      values[name] = f.default;
  }
  return {
    values: values as FlagValues<S>,
    given: given as ReadonlySet<keyof S & string>,
    positionals,
  };
}

/**
 * The flags as help lines: `--name VALUE   help (default X)`.
 * @example
 * console.log(flagsHelp({ epochs: { type: 'int', default: 20, help: 'passes' } }));
 */
export function flagsHelp(spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, f]) => {
    const meta =
      f.type === 'bool'
        ? ''
        : f.type === 'choice'
          ? ` ${f.choices.join('|')}`
          : f.type === 'string'
            ? ` ${f.metavar ?? 'VALUE'}`
            : f.type === 'int'
              ? ' N'
              : ' X';
    const def =
      'default' in f && f.default !== undefined
        ? ` (default ${f.default})`
        : '';
    return [`  --${name}${meta}`, `${f.help}${def}`] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => `${l.padEnd(width)}${r}`).join('\n');
}

/**
 * The run-folder flags every experiment command takes: `--out DIR` and
 * `--resume DIR`.
 * @example const FLAGS = { epochs: {...}, ...RUN_FOLDER_FLAGS };
 */
export const RUN_FOLDER_FLAGS: {
  readonly out: Extract<FlagSpec, { type: 'string' }>;
  readonly resume: Extract<FlagSpec, { type: 'string' }>;
} = {
  out: {
    type: 'string',
    metavar: 'DIR',
    help: 'run folder (default a new folder under runs/; never overwritten)',
  },
  resume: {
    type: 'string',
    metavar: 'DIR',
    help: 'continue the run in DIR (with --epochs, up to that epoch)',
  },
};

/**
 * The flags every experiment command ends with: `--threads N`, `--help`.
 * @example const FLAGS = { epochs: {...}, ...THREADS_AND_HELP_FLAGS };
 */
export const THREADS_AND_HELP_FLAGS: {
  readonly threads: Extract<FlagSpec, { type: 'int' }>;
  readonly help: Extract<FlagSpec, { type: 'bool' }>;
} = {
  threads: {
    type: 'int',
    min: 1,
    help: 'CPU threads for the batched kernels (default: one per core)',
  },
  help: { type: 'bool', help: 'this text' },
};

/**
 * Throw a UsageError when a command that takes only flags got a word.
 * @example refusePositionals('optnet sudoku', parsed.positionals);
 */
export function refusePositionals(
  cmd: string,
  positionals: readonly string[],
): void {
  if (positionals.length > 0)
    throw new UsageError(
      `${cmd}: takes no positional arguments; got "${positionals[0]}".`,
    );
}
