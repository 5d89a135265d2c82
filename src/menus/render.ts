import type { UssdReply } from '../adapters/telco/ussd.ts';
import { formatKes } from '../core/money.ts';
import { gsm7Length } from './gsm7.ts';
import type { MenuContext, Notice } from './menu-context.ts';
import { messagesFor, type Messages } from './messages/catalogue.ts';
import { firstPage, fitScreen, wrapText } from './screen-fit.ts';
import { screenSpec, type ScreenId } from './screens.ts';

/**
 * Fits a screen to the handset: the notice (if any) on top, the header, as many lines as fit from the page cursor,
 * "98. More" when lines are left over, and the footer. Every screen is GSM-7 and at most `settings.maxChars`
 * septets; text is only ever cut at a word boundary.
 *
 * The machine pages with the same function (its "98" guard asks whether this screen has more), so what the
 * player sees and what "98" does cannot drift apart.
 */
export interface ScreenLayout {
  reply: UssdReply;
  /** how many of the screen's lines (from the cursor) this page shows */
  shown: number;
  /** lines are left for a "98. More" */
  more: boolean;
}

/** the narrowest a line may get before a long header is moved into the paged lines instead */
const MIN_LINE_ROOM = 30;

export function noticeText(m: Messages, notice: Notice): string {
  const amount = formatKes(notice.value ?? 0);
  switch (notice.key) {
    case 'belowMinimum':
      return m.belowMinimum(amount);
    case 'aboveMaximum':
      return m.aboveMaximum(amount);
    case 'slipFull':
      return m.slipFull(notice.value ?? 0);
    default:
      return m[notice.key];
  }
}

export function layoutScreen(screen: ScreenId, ctx: MenuContext): ScreenLayout {
  const spec = screenSpec(screen, ctx);
  const m = messagesFor(ctx.lang);
  const maxChars = ctx.settings.maxChars;
  const notice = ctx.notice === null ? '' : fitScreen(noticeText(m, ctx.notice), Math.floor(maxChars / 2));

  if (spec.kind === 'END') {
    const text = [notice, spec.header, ...spec.lines].filter((s) => s !== '').join('\n');
    return { reply: { kind: 'END', screen: fitScreen(text, maxChars) }, shown: 0, more: false };
  }

  const len = (parts: string[]) => gsm7Length(parts.filter((x) => x !== '').join('\n'));
  let header = spec.header;
  let lines = spec.lines;
  let sticky = spec.options;
  // Options stay on every page only while they leave room for the rest; otherwise they are paged like any line.
  if (len([notice, ...sticky, m.more, spec.back]) + 1 + MIN_LINE_ROOM > maxChars) {
    lines = [...lines, ...sticky];
    sticky = [];
  }
  const footer = [...sticky, spec.back].filter((x) => x !== '').join('\n');
  const footerRoom = gsm7Length(m.more) + 1 + (footer === '' ? 0 : gsm7Length(footer) + 1);
  const headOf = (h: string) => [notice, h].filter((x) => x !== '').join('\n');
  if (gsm7Length(headOf(header)) + 1 + footerRoom + MIN_LINE_ROOM > maxChars) {
    // A header this long would squeeze out the options: it becomes the first paged lines instead.
    lines = [header, ...lines];
    header = '';
  }
  const head = headOf(header);
  const room = maxChars - footerRoom - (head === '' ? 0 : gsm7Length(head) + 1);
  // Long facts (terms, a refusal's explanation) are wrapped at word boundaries rather than cut with "...".
  lines = lines.flatMap((line) => (line === '' ? [] : gsm7Length(line) > room ? wrapText(line, room) : [line]));

  const start = Math.min(ctx.page.start, Math.max(lines.length - 1, 0));
  const { lines: page, more } = firstPage(head, lines.slice(start), { more: m.more, back: footer }, maxChars);
  const fixed = (head === '' ? 0 : 1) + (more ? 1 : 0) + (footer === '' ? 0 : 1);
  return { reply: { kind: 'CON', screen: page.join('\n') }, shown: page.length - fixed, more };
}

export function render(screen: ScreenId, ctx: MenuContext): UssdReply {
  return layoutScreen(screen, ctx).reply;
}
