/**
 * Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` or the inspector's Profiler writes it): self time
 * per function and per area (an npm package, a src/ folder, Node's internals, GC), idle time left out.
 */
import { readFileSync } from 'node:fs';
import { round } from '../stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  /** sampled wall time, and the share of it the thread was busy (not idle) */
  seconds: number;
  busyPct: number;
  /** self time by function, as % of busy time */
  functions: { name: string; where: string; area: string; pct: number; ms: number }[];
  areas: { area: string; pct: number; ms: number }[];
  /**
   * busy time by component of a hop: each sample goes to the innermost frame on its stack that belongs to one (so a
   * socket write made by pg counts as database, a JSON.parse made by the session store as session store)
   */
  components: { component: string; pct: number; ms: number }[];
}

const COMPONENTS: [string, RegExp][] = [
  ['conversation (XState machine, menus, render)', /node_modules\/xstate\/|\/src\/menus\//],
  ['session store (ioredis, record JSON)', /node_modules\/(ioredis|@ioredis|redis-errors|denque|cluster-key-slot)\/|\/src\/sessions\/redis-session-store/],
  ['database (pg, core queries)', /node_modules\/(pg|pg-pool|pg-protocol|pg-types|postgres-[a-z]+|pgpass)\/|\/src\/core\/|\/src\/adapters\/menu-services/],
  ['hop logic (open, commit, hop log)', /\/src\/sessions\//],
  ['HTTP, Koa, form, zod parse', /node_modules\/(koa|@koa|koa-compose|zod|on-finished|statuses|accepts|type-is|content-type|mime-types|negotiator|http-errors|cookies|fresh|vary|encodeurl|escape-html|delegates|only|depd)\/|\/src\/adapters\/(http|telco)\/|node:_http_|node:http/],
  ['logging (pino)', /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|quick-format-unescaped)\//],
  ['bench counters', /\/bench\/ussd\//],
];

function componentOf(node: ProfileNode, parentOf: Map<number, ProfileNode>): string {
  const name = node.callFrame.functionName;
  if (node.callFrame.url === '' && name.startsWith('(')) return name;
  for (let n: ProfileNode | undefined = node; n; n = parentOf.get(n.id)) {
    for (const [component, re] of COMPONENTS) if (re.test(n.callFrame.url)) return component;
  }
  return 'other (Node internals, event loop, microtasks)';
}

/** which part of the program a script belongs to */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle)
    return 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src|bench)\/([^/]+)\//.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  const srcFile = /\/(src|bench)\/([^/]+\.ts)$/.exec(url);
  if (srcFile) return `${srcFile[1]}/${srcFile[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\//, '');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const components = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) {
    // the time until the next sample is spent where this one was taken
    const us = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(us, 0));
  }
  const fn = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const area = areaOf(url, functionName);
    const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName}|${where}`;
    const f = fn.get(key) ?? { name: functionName || '(anonymous)', where, area, us: 0 };
    f.us += us;
    fn.set(key, f);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const component = componentOf(node, parentOf);
    components.set(component, (components.get(component) ?? 0) + us);
  }
  const pct = (us: number) => round((us / Math.max(busyUs, 1)) * 100, 1);
  return {
    file,
    seconds: round(totalUs / 1e6, 1),
    busyPct: round((busyUs / Math.max(totalUs, 1)) * 100, 1),
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, area: f.area, pct: pct(f.us), ms: round(f.us / 1000, 0) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, pct: pct(us), ms: round(us / 1000, 0) })),
    components: [...components.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([component, us]) => ({ component, pct: pct(us), ms: round(us / 1000, 0) })),
  };
}
