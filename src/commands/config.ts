import type { Command } from 'commander';
import { action } from './context.js';
import { readConfigFile, writeConfigFile, settingSpec, displayValue, configPath } from '../core/config.js';
import { UsageError, NotFoundError } from '../core/errors.js';

export function register(program: Command): void {
  const config = program
    .command('config')
    .description('show and change settings and profiles')
    .addHelpText('after', '\nPrecedence: flags > environment > selected profile > defaults.\nURLs are masked when printed; secrets (token, encryption keys) are never stored in profiles.');

  config
    .command('list')
    .description('list every setting with its value and where it came from')
    .option('--profiles', 'list the profiles instead')
    .action(
      action(async ({ core, out, opts, env }) => {
        if (opts.profiles) {
          const file = readConfigFile(env);
          const names = new Set(['default', ...Object.keys(file.profiles)]);
          const rows = [...names].map((name) => ({ name, current: name === core.config.profile }));
          await out.list(rows, [{ key: 'name' }, { key: 'current', format: (r) => (r.current ? '*' : '') }]);
          return;
        }
        const rows = core.config.list().map((s) => ({ key: s.key, value: s.display, source: s.source, env: s.env }));
        await out.list(rows, [{ key: 'key' }, { key: 'value' }, { key: 'source' }, { key: 'env' }]);
      }, { allowMissingProfile: true }),
    );

  config
    .command('get <key>')
    .description('print one setting (URL passwords masked)')
    .action(
      action(async ({ core, out }, key: string) => {
        const spec = settingSpec(key);
        const r = core.config.resolved(spec.key);
        const value = displayValue(spec, r.value);
        if (out.json) out.printJson({ key: spec.key, value: r.value === undefined ? null : value, source: r.source });
        else out.write(value);
      }, { allowMissingProfile: true }),
    );

  config
    .command('set <key> <value>')
    .description('store a setting in the selected profile (or --profile)')
    .action(
      action(async ({ core, out, env }, key: string, value: string) => {
        const spec = settingSpec(key);
        if (spec.secret) {
          throw new UsageError(`${spec.key} is a secret and is not stored in profiles`, { hint: `use ${spec.env} or ${spec.env}_FILE` });
        }
        const file = readConfigFile(env);
        const profile = core.config.profile;
        file.profiles[profile] = { ...(file.profiles[profile] ?? {}), [spec.key]: value };
        writeConfigFile(file, env);
        out.done(`set ${spec.key} in profile "${profile}" (${configPath(env)})`, {
          profile,
          key: spec.key,
          value: displayValue(spec, value),
        });
      }, { allowMissingProfile: true }),
    );

  config
    .command('unset <key>')
    .description('remove a setting from the selected profile')
    .action(
      action(async ({ core, out, env }, key: string) => {
        const spec = settingSpec(key);
        const file = readConfigFile(env);
        const prof = file.profiles[core.config.profile];
        if (prof) delete prof[spec.key];
        writeConfigFile(file, env);
        out.done(`unset ${spec.key} in profile "${core.config.profile}"`, { profile: core.config.profile, key: spec.key });
      }, { allowMissingProfile: true }),
    );

  config
    .command('use <profile>')
    .description('select the profile used when --profile and JOBSPRINT_PROFILE are absent')
    .option('--create', 'create the profile if it does not exist')
    .action(
      action(async ({ out, env, opts }, profile: string) => {
        const file = readConfigFile(env);
        if (!file.profiles[profile]) {
          if (!opts.create && profile !== 'default') {
            throw new NotFoundError(`profile "${profile}" not found`, { hint: `pass --create, or see \`jobsprint config list --profiles\`` });
          }
          file.profiles[profile] = {};
        }
        file.current_profile = profile;
        writeConfigFile(file, env);
        out.done(`now using profile "${profile}"`, { current_profile: profile });
      }, { allowMissingProfile: true }),
    );

}
