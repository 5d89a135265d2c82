/**
 * Runs the gateway's TypeScript on plain Node: `node --import ./scripts/typescript.mjs src/main.ts`. Each .ts module is
 * transpiled by esbuild as it is loaded, in place, so paths relative to a module (migrations, the admin page) stay as
 * they are. tsx does the same for the dev tools, but it also wraps every function it emits with a name-keeping helper
 * (esbuild's keepNames), which costs the hop path about a sixth of its menu work; the server does not need it.
 * `module.register` needs Node 20.6 or later (package.json's engines).
 */
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);
