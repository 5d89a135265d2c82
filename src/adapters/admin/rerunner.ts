/** Builds the dry-run menu conversation a rerun uses: today's menus, as configured, on dry-run services. */
import { coreSettings, paymentLimits, type Config } from '../../config.ts';
import type { Queryable } from '../../core/db.ts';
import type { Conversation } from '../../menus/conversation.ts';
import { createMenuConversation, type MenuConversationOptions } from '../../menus/menu-conversation.ts';
import { createDryRunServices, type DryRunServices } from './dry-run-services.ts';

export type Rerunner = () => { conversation: Conversation; services: DryRunServices };

export function createRerunner(db: Queryable, config: Config, overrides: Partial<MenuConversationOptions> = {}): Rerunner {
  return () => {
    const services = createDryRunServices(db, { settings: coreSettings(config), limits: paymentLimits(config) });
    const conversation = createMenuConversation(services, {
      maxChars: config.USSD_MAX_CHARS,
      ...(config.TERMS_URL ? { termsUrl: config.TERMS_URL } : {}),
      ...(config.SUPPORT_PHONE ? { supportPhone: config.SUPPORT_PHONE } : {}),
      ...overrides,
    });
    return { conversation, services };
  };
}
