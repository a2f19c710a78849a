import type { Command } from 'commander';
import type { ActingAs } from '../../core/actor.js';
import type { CommandContext } from '../context.js';
import { addUserOption, requireActor } from '../session.js';

/** A workflows subcommand: every one acts for the logged-in tenant (admins: --user). */
export function tenantCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return addUserOption(parent.command(nameAndArgs).description(description));
}

export function actingAs(ctx: CommandContext): Promise<ActingAs> {
  return requireActor(ctx, { allowUserOverride: true });
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
