/**
 * The configuration reference of README.md, generated from SETTINGS. Prints the Markdown table;
 * with `--write` it replaces the section between the `settings` markers in README.md instead.
 * `src/config/config.test.ts` compares the README section with this output, so a setting cannot
 * be added, renamed or re-defaulted without the documentation following.
 *
 *   npx tsx scripts/settings-table.ts [--write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { format, resolveConfig } from 'prettier';

import { SETTINGS, type SettingDefinition } from '../src/config/settings.js';

export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));
export const START_MARKER = '<!-- settings:start -->';
export const END_MARKER = '<!-- settings:end -->';

/** The table, formatted exactly as Prettier formats it inside README.md. */
export async function settingsTable(): Promise<string> {
  const rows = (SETTINGS as readonly SettingDefinition[]).map((setting) =>
    [`\`${setting.env}\``, accepts(setting), defaultOf(setting), protects(setting)].map(cell),
  );
  const markdown = [
    '| Variable | Accepts | Default | What it protects |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

  const options = (await resolveConfig(README_PATH)) ?? {};
  return (await format(markdown, { ...options, parser: 'markdown' })).trim();
}

/** The text between the markers, trimmed; `null` when the markers are missing. */
export function readmeSettingsSection(readme: string): string | null {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) return null;
  return readme.slice(start + START_MARKER.length, end).trim();
}

function accepts(setting: SettingDefinition): string {
  switch (setting.type) {
    case 'integer':
      return `integer ${setting.min ?? '…'}–${setting.max ?? '…'}`;
    case 'enum':
      return (setting.values ?? []).map((value) => `\`${value}\``).join(', ');
    case 'boolean':
      return '`true` / `false`';
    case 'list':
      return 'comma-separated list';
    case 'duration':
      return 'duration';
    case 'string':
      return setting.secret ? 'text (secret)' : 'text';
  }
}

function defaultOf(setting: SettingDefinition): string {
  if (setting.default === undefined) return 'unset';
  if (setting.default === '') return 'empty';
  const values = setting.type === 'list' ? setting.default.split(',') : [setting.default];
  return values.map((value) => `\`${value}\``).join(', ');
}

function protects(setting: SettingDefinition): string {
  return setting.secret
    ? `${setting.description} Secret: never logged, never echoed in an error.`
    : setting.description;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

async function main(): Promise<void> {
  const table = await settingsTable();
  if (!process.argv.includes('--write')) {
    process.stdout.write(`${table}\n`);
    return;
  }

  const readme = readFileSync(README_PATH, 'utf8');
  if (readmeSettingsSection(readme) === null) {
    throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} section.`);
  }
  const start = readme.indexOf(START_MARKER) + START_MARKER.length;
  const end = readme.indexOf(END_MARKER);
  writeFileSync(README_PATH, `${readme.slice(0, start)}\n\n${table}\n\n${readme.slice(end)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
