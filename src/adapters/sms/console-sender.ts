/**
 * SMS=console (the default): nothing leaves the machine. Each message is logged with the phone masked and recorded
 * as sent, so development, demos and tests see the whole outbox flow without a provider account.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { maskMsisdn } from '../telco/msisdn.ts';
import type { SendResult, SmsSender } from './sms-sender.ts';

export function createConsoleSender(logger: Logger): SmsSender {
  return {
    name: 'console',
    async send(to, message): Promise<SendResult> {
      const messageId = `console-${randomUUID()}`;
      logger.info({ to: maskMsisdn(to), messageId, message }, 'sms (console)');
      return { kind: 'sent', messageId, cost: null, statusCode: 101, status: 'Success' };
    },
  };
}
