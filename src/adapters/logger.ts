import { pino, type DestinationStream, type Logger } from 'pino';

// phone numbers never reach the logs whole: 254712345678 → 2547****5678
const MSISDN_IN_TEXT = /\+?(?<!\d)(254[17])(\d{4})(\d{4})(?!\d)/g;

export function maskPhones(text: string): string {
  return text.replace(MSISDN_IN_TEXT, '$1****$3');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
    level,
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? maskPhones(a) : a)) as Parameters<typeof method>,
        );
      },
    },
    formatters: {
      log: (obj) => JSON.parse(maskPhones(JSON.stringify(obj))) as Record<string, unknown>,
    },
  },
    destination,
  );
}
