// The command table and the dispatcher: parses argv with node:util parseArgs, prints help, runs one command and
// turns every failure into the one-line `densho: <reason and fix>` the CLI contract promises.
import { parseArgs } from 'node:util';
import { ConfigError } from '../../config.ts';
import { LockHeldError } from '../../platform/node/lockfile.ts';
import { LogIntegrityError } from '../../services/trust-log.ts';
import { backup, restore } from './backup.ts';
import { demo } from './demo.ts';
import { exportCommand, importCommand } from './export.ts';
import { keysRotate } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { orgAdd } from './org.ts';
import { keygen, push } from './push.ts';
import { retentionApply } from './retention.ts';
import { serve } from './serve.ts';
import { CliError, type CliIo, type Command, configFrom, oneLine, UsageError } from './shared.ts';
import { suretyKeyAdd, suretyKeyRevoke } from './surety-key.ts';
import { userAdd, userDisable } from './user.ts';
import { verifyLog, verifyReceipt } from './verify.ts';

export const COMMANDS: Command[] = [
  migrateCommand,
  serve,
  demo,
  orgAdd,
  suretyKeyAdd,
  suretyKeyRevoke,
  userAdd,
  userDisable,
  keysRotate,
  backup,
  restore,
  exportCommand,
  importCommand,
  retentionApply,
  verifyLog,
  verifyReceipt,
  push,
  keygen,
];

const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!));

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'densho — operator CLI of the 電証 platform (electronic surety certificates in a signed Merkle log)',
    '',
    'Usage: densho <command> [flags]      (also: npm run densho -- <command> [flags])',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command reads the same environment as the server:',
    '  HOST (127.0.0.1)  PORT (8787)  DENSHO_DATA_DIR (./data)  DENSHO_ORIGIN (http://HOST:PORT)',
    '  DENSHO_ACCESS_RETENTION_DAYS (180: days the clear IP and user agent of access events are kept)',
    '  DENSHO_HTTP_WORKERS (0: `serve` answers HTTP itself; N: N worker processes serve, this one appends)',
    '',
    'densho <command> --help shows the flags of one command. Exit status: 0 ok, 1 failed, 2 bad usage.',
    'On failure one line "densho: <reason — how to fix it>" goes to stderr (DENSHO_DEBUG=1 adds the stack trace).',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`Usage: ${c.usage}`, '', `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`, '', c.help].join(
    '\n',
  );
}

/** Find the command for argv: "org add …" (group + verb) or "verify-log …". */
function resolve(argv: string[]): { command: Command; rest: string[] } | null {
  const [first, second] = argv;
  if (first === undefined) return null;
  if (GROUPS.has(first)) {
    const command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (!command) {
      const verbs = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
      throw new UsageError(
        second === undefined || second.startsWith('-')
          ? `\`densho ${first}\` needs a subcommand: ${verbs.join(', ')}`
          : `unknown command \`densho ${first} ${second}\` — use one of: ${verbs.join(', ')}`,
      );
    }
    return { command, rest: argv.slice(2) };
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    throw new UsageError(`unknown command ${JSON.stringify(first)} — run \`densho --help\` for the list`);
  }
  return { command, rest: argv.slice(1) };
}

function parse(
  command: Command,
  rest: string[],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    // parseArgs's own messages name the option; add where to look.
    const msg = (e as Error).message.replace(
      /\. To specify a positional argument starting with a '-'.*$/,
      '',
    );
    throw new UsageError(`${oneLine(msg)} — see \`densho ${command.name} --help\``);
  }
}

/** Run one CLI invocation; returns the exit status. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0) {
      throw new UsageError('no command given — run `densho --help` for the list of commands');
    }
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      const topic = argv.slice(1);
      const found = topic.length > 0 ? resolve(topic) : null;
      io.out(found ? commandHelp(found.command) : overview());
      return 0;
    }
    const found = resolve(argv)!;
    const { values, positionals } = parse(found.command, found.rest);
    if (values.help) {
      io.out(commandHelp(found.command));
      return 0;
    }
    const allowed = found.command.positionals ?? { min: 0, max: 0 };
    if (positionals.length < allowed.min || positionals.length > allowed.max) {
      throw new UsageError(
        positionals.length > allowed.max
          ? `unexpected argument ${JSON.stringify(positionals[allowed.max])} — usage: ${found.command.usage}`
          : `missing argument — usage: ${found.command.usage}`,
      );
    }
    for (const [name, spec] of Object.entries(found.command.options)) {
      const v = values[name];
      // parseArgs accepts `--code=` and `--code ""`; an empty value is never what an operator meant.
      if (spec.type === 'string' && typeof v === 'string' && v.trim() === '') {
        throw new UsageError(`--${name} needs a value — see \`densho ${found.command.name} --help\``);
      }
    }
    let config: ReturnType<typeof configFrom> | null = null;
    await found.command.run({
      values,
      positionals,
      io,
      config: () => {
        config ??= configFrom(io.env);
        return config;
      },
    });
    return 0;
  } catch (err) {
    return report(err, io);
  }
}

function report(err: unknown, io: CliIo): number {
  const debug = io.env.DENSHO_DEBUG === '1';
  if (err instanceof CliError) {
    io.err(`densho: ${oneLine(err.message)}`);
    for (const line of err.details) io.err(line);
    if (debug && err.stack) io.err(err.stack);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    io.err(`densho: ${oneLine(err.message).replace('invalid configuration:;', 'invalid configuration:')}`);
    return 1;
  }
  if (err instanceof LockHeldError || err instanceof LogIntegrityError) {
    io.err(`densho: ${oneLine(err.message)}`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`densho: ${oneLine(message)}${debug ? '' : ' (set DENSHO_DEBUG=1 to see where)'}`);
  if (debug && err instanceof Error && err.stack) io.err(err.stack);
  return 1;
}
