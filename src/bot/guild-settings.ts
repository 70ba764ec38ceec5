/**
 * What a member with Manage Server set with /settings, in the `guild_settings` table (migration 2): channels
 * where Motif composes, the longest clip, voice playback on or off. A guild without a row has the defaults.
 */
import type Database from 'better-sqlite3';

export interface GuildSettings {
  /** Channel ids where /compose and the clip buttons work; empty = every channel. */
  readonly allowedChannels: readonly string[];
  /** Longest clip in seconds; undefined = the bot's own limit. */
  readonly maxLengthSeconds: number | undefined;
  readonly voiceEnabled: boolean;
}

export const DEFAULT_GUILD_SETTINGS: GuildSettings = {
  allowedChannels: [],
  maxLengthSeconds: undefined,
  voiceEnabled: true,
};

export interface GuildSettingsStore {
  get(guildId: string): GuildSettings;
  /** Changes the given fields, keeps the others; returns the settings now in force. */
  update(guildId: string, patch: Partial<GuildSettings>, updatedBy: string): GuildSettings;
}

interface SettingsRow {
  readonly allowed_channels: string;
  readonly max_length_seconds: number | null;
  readonly voice_enabled: number;
}

export function createGuildSettingsStore(db: Database.Database, clock: () => number = Date.now): GuildSettingsStore {
  const select = db.prepare<[string], SettingsRow>(
    'SELECT allowed_channels, max_length_seconds, voice_enabled FROM guild_settings WHERE guild_id = ?',
  );
  const insertGuild = db.prepare<[string, number]>('INSERT OR IGNORE INTO guilds (id, created_at) VALUES (?, ?)');
  const upsert = db.prepare<[string, string, number | null, number, string, number]>(
    `INSERT INTO guild_settings (guild_id, allowed_channels, max_length_seconds, voice_enabled, updated_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (guild_id) DO UPDATE SET allowed_channels = excluded.allowed_channels,
       max_length_seconds = excluded.max_length_seconds, voice_enabled = excluded.voice_enabled,
       updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
  );

  const get = (guildId: string): GuildSettings => {
    const row = select.get(guildId);
    if (row === undefined) return DEFAULT_GUILD_SETTINGS;
    return {
      allowedChannels: parseChannels(row.allowed_channels),
      maxLengthSeconds: row.max_length_seconds ?? undefined,
      voiceEnabled: row.voice_enabled === 1,
    };
  };

  const update = db.transaction((guildId: string, patch: Partial<GuildSettings>, updatedBy: string) => {
    const next: GuildSettings = { ...get(guildId), ...definedFields(patch) };
    const now = clock();
    insertGuild.run(guildId, now);
    upsert.run(
      guildId,
      JSON.stringify(next.allowedChannels),
      next.maxLengthSeconds ?? null,
      next.voiceEnabled ? 1 : 0,
      updatedBy,
      now,
    );
    return next;
  });

  return {
    get,
    update: (guildId, patch, updatedBy) => update.immediate(guildId, patch, updatedBy),
  };
}

/** `maxLengthSeconds: undefined` in a patch means "back to the default", so it is kept when present as a key. */
function definedFields(patch: Partial<GuildSettings>): Partial<GuildSettings> {
  const out: { -readonly [K in keyof GuildSettings]?: GuildSettings[K] } = {};
  if (patch.allowedChannels !== undefined) out.allowedChannels = [...new Set(patch.allowedChannels)];
  if ('maxLengthSeconds' in patch) out.maxLengthSeconds = patch.maxLengthSeconds;
  if (patch.voiceEnabled !== undefined) out.voiceEnabled = patch.voiceEnabled;
  return out;
}

function parseChannels(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
