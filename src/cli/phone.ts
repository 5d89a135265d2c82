/**
 * A terminal phone: dials a running gateway the way Africa's Talking would, so menus can be tried without a handset.
 *
 *   npm run phone -- --url http://localhost:3000 --phone 0712345678 --code '*290*290#'
 *   printf '1\n2\n0\n' | npm run phone -- --phone 0712000111      (piped: one input per line, exits on END)
 *
 * Like a real handset session it keeps the cumulative `text` (inputs joined by '*'), uses a new sessionId per dial,
 * and posts form-encoded hops to /ussd/africastalking. A shortcut dial such as --code '*290*290*1#' sends the
 * service code '*290*290#' with text '1' on the first hop, as the network does.
 * Interactive: after END it offers to dial again; an empty line on a CON screen sends an empty input; Ctrl-D hangs up.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { normaliseMsisdn } from '../adapters/telco/msisdn.ts';

const SCREEN_WIDTH = 30;

interface Options {
  url: string;
  phone: string;
  code: string;
  service: string;
  network: string;
}

function usage(): string {
  return [
    'usage: npm run phone -- [--url http://localhost:3000] [--phone 0712345678] [--code *290*290#]',
    '                        [--service *290*290#] [--network 63902]',
    '  --code     what is dialled; extra parts after the service code (e.g. *290*290*1#) are the first input(s)',
    '  --service  the registered service code sent to the gateway (default: the code up to its first 2 parts)',
  ].join('\n');
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://localhost:3000' },
      phone: { type: 'string', default: '0712345678' },
      code: { type: 'string', default: '*290*290#' },
      service: { type: 'string' },
      network: { type: 'string', default: '63902' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const code = values.code;
  if (!/^\*[0-9*]+#$/.test(code)) throw new Error(`--code must look like *290*290# (got ${code})`);
  const service = values.service ?? `*${code.slice(1, -1).split('*').slice(0, 2).join('*')}#`;
  const msisdn = normaliseMsisdn(values.phone);
  if (msisdn === null) throw new Error(`--phone must be a Kenyan mobile number, e.g. 0712345678 (got ${values.phone})`);
  // sent as Africa's Talking does: +254…
  return { url: values.url.replace(/\/+$/, ''), phone: `+${msisdn}`, code, service, network: values.network };
}

/** the inputs a shortcut dial carries: '*290*290*1*2#' with service '*290*290#' → '1*2' */
export function shortcutText(code: string, service: string): string {
  const base = service.slice(0, -1);
  if (code === service || !code.startsWith(`${base}*`)) return '';
  return code.slice(base.length + 1, -1);
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  out.push(rest);
  return out;
}

/** draws the screen the way a handset would show it */
export function boxScreen(kind: 'CON' | 'END', screen: string, width = SCREEN_WIDTH): string {
  const lines = screen.split('\n').flatMap((l) => wrap(l, width));
  const label = kind === 'CON' ? ' CON: reply expected ' : ' END: session closed ';
  const top = `┌${label}${'─'.repeat(Math.max(0, width + 2 - label.length))}┐`;
  const body = lines.map((l) => `│ ${l.padEnd(width)} │`);
  const footer = ` ${screen.length} chars `;
  const bottom = `└${'─'.repeat(Math.max(0, width + 2 - footer.length))}${footer}┘`;
  return [top, ...body, bottom].join('\n');
}

class LineSource {
  private readonly lines: AsyncIterator<string>;
  readonly interactive: boolean;
  private readonly rl;

  constructor() {
    this.interactive = Boolean(process.stdin.isTTY);
    this.rl = createInterface({ input: process.stdin, terminal: this.interactive });
    // created at once so piped lines that arrive before the first question are buffered, not lost
    this.lines = this.rl[Symbol.asyncIterator]();
  }

  /** null at end of input */
  async ask(prompt: string): Promise<string | null> {
    process.stdout.write(prompt);
    const next = await this.lines.next();
    if (next.done) {
      if (!this.interactive) process.stdout.write('(end of input)\n');
      return null;
    }
    // piped input is not echoed by a terminal: show it so the transcript reads like a session
    if (!this.interactive) process.stdout.write(`${next.value}\n`);
    return next.value.trim();
  }

  close(): void {
    this.rl.close();
  }
}

async function post(opts: Options, sessionId: string, text: string): Promise<{ kind: 'CON' | 'END'; screen: string }> {
  const body = new URLSearchParams({
    sessionId,
    serviceCode: opts.service,
    phoneNumber: opts.phone,
    networkCode: opts.network,
    text,
  });
  let res: Response;
  try {
    res = await fetch(`${opts.url}/ussd/africastalking`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the gateway at ${opts.url} (is \`npm start\` running?): ${(err as Error).message}`);
  }
  const reply = await res.text();
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${reply}`);
  const kind = reply.slice(0, 3);
  if (kind !== 'CON' && kind !== 'END') throw new Error(`gateway answered without CON/END: ${reply}`);
  return { kind, screen: reply.slice(4) };
}

/** one dial; resolves true when the session ended normally, false when input ran out mid-session */
async function dial(opts: Options, input: LineSource): Promise<boolean> {
  const sessionId = `ATUid_cli_${randomBytes(8).toString('hex')}`;
  let text = shortcutText(opts.code, opts.service);
  console.log(`\nDialling ${opts.code} from ${opts.phone} (session ${sessionId})`);
  for (;;) {
    const reply = await post(opts, sessionId, text);
    console.log(boxScreen(reply.kind, reply.screen));
    if (reply.kind === 'END') return true;
    const line = await input.ask('> ');
    if (line === null) return false;
    // AT's text: '' before the first input, then 'a', 'a*b', … (an empty first input cannot be told apart, as on AT)
    text = text === '' ? line : `${text}*${line}`;
  }
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = readOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage()}`);
    process.exit(2);
  }
  const input = new LineSource();
  try {
    for (;;) {
      const ended = await dial(opts, input);
      if (!ended || !input.interactive) break;
      const again = await input.ask('Dial again? [y/N] ');
      if (again === null || !/^y(es)?$/i.test(again)) break;
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  } finally {
    input.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
