/**
 * Drives the menu conversation the way the session layer does, one hop at a time, with the snapshot passing through
 * JSON.stringify/parse between every hop (as it does through Redis), so every test also proves the snapshot survives.
 */
import { expect } from 'vitest';
import type { UssdReply } from '../../src/adapters/telco/ussd.ts';
import type { Conversation, HopContext, HopOutcome } from '../../src/menus/conversation.ts';
import { createMenuConversation, type MenuConversationOptions } from '../../src/menus/menu-conversation.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { fakeServices, type FakeWorld } from './fake-menu-services.ts';

export class Dial {
  readonly conversation: Conversation;
  readonly ctx: HopContext;
  last: HopOutcome | null = null;
  /** every screen shown, in order */
  readonly screens: UssdReply[] = [];

  constructor(conversation: Conversation, ctx: Partial<HopContext> = {}) {
    this.conversation = conversation;
    this.ctx = { sessionId: 'ATUid_1', phone: '254700000001', network: '63902', ...ctx };
  }

  private keep(outcome: HopOutcome): UssdReply {
    // the session layer stores the snapshot as JSON: anything that does not survive that must fail here
    const stored = JSON.parse(JSON.stringify(outcome)) as HopOutcome;
    expect(stored).toEqual(outcome);
    this.last = stored;
    this.screens.push(stored.reply);
    return stored.reply;
  }

  async start(resume: unknown = null): Promise<UssdReply> {
    return this.keep(await this.conversation.start(this.ctx, resume));
  }

  /** one hop per argument */
  async send(...inputs: string[]): Promise<UssdReply> {
    let reply: UssdReply | undefined;
    for (const input of inputs) {
      if (this.last === null) throw new Error('start first');
      reply = this.keep(await this.conversation.advance(this.last.snapshot, [input], this.ctx));
    }
    if (reply === undefined) throw new Error('no input');
    return reply;
  }

  /** several inputs in one hop (a batched `text`) */
  async batch(...inputs: string[]): Promise<UssdReply> {
    if (this.last === null) throw new Error('start first');
    return this.keep(await this.conversation.advance(this.last.snapshot, inputs, this.ctx));
  }

  get screen(): string {
    return this.last?.reply.screen ?? '';
  }

  get kind(): 'CON' | 'END' | undefined {
    return this.last?.reply.kind;
  }

  get state(): string {
    return this.last?.state ?? '';
  }

  get resumable(): unknown {
    return this.last?.resumable ?? null;
  }
}

export function dialWith(
  services: MenuServices = fakeServices(),
  opts: Partial<MenuConversationOptions> = {},
  ctx: Partial<HopContext> = {},
): Dial {
  return new Dial(createMenuConversation(services, { maxChars: 160, termsUrl: 'bet.example/terms', ...opts }), ctx);
}

export function setup(world?: FakeWorld, opts: Partial<MenuConversationOptions> = {}) {
  const services = fakeServices(world);
  return { services, world: services.world, dial: dialWith(services, opts) };
}
