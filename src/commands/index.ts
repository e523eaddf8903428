import type { App } from '@slack/bolt';
import { checklyCommand, type CommandDeps } from './checkly';

export function registerCommands(app: App, deps: CommandDeps): void {
  app.command(deps.commandName, ...checklyCommand(deps));
}
