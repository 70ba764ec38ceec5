/**
 * Configuration, read once at start from an environment map (the composition root passes process.env).
 * Nothing else in src/ reads process.env.
 */

import { join, resolve } from 'node:path';

import type { RetentionPolicy } from './db/retention.ts';
import { DEVICES, type Device } from './inference/devices.ts';

export interface Config {
  /** Path to a .sf2/.sf3 soundfont; undefined = the bundled MuseScore General Lite. */
  readonly soundfontPath: string | undefined;
  /** Path to the ONNX model; its metadata JSON sits beside it. */
  readonly modelPath: string;
  readonly device: Device;
  /** Intra-op threads for ONNX Runtime on the CPU. */
  readonly threads: number;
  /** Render worker threads. */
  readonly renderWorkers: number;
  /** Where finished clips are kept (one folder per job) and, by default, the database (MOTIF_DATA_DIR). */
  readonly dataDir: string;
  /** The SQLite file (MOTIF_DATABASE); DATA_DIR/motif.sqlite by default. */
  readonly databasePath: string;
  /**
   * How long clip files are kept (MOTIF_RETENTION_DAYS: days, default 30; 0 or "forever" = keepDays null, kept for
   * ever) and whether liked clips keep theirs however old (MOTIF_KEEP_LIKED, default true); radio segments' files
   * go sooner (MOTIF_RADIO_RETENTION_HOURS, default 24; 0 = as other clips'). Rows always stay.
   */
  readonly retention: RetentionPolicy;
  /** The bot's Discord settings; only `npm start` and `npm run register` need them (see requireDiscord). */
  readonly discord: DiscordConfig;
}

export interface DiscordConfig {
  /** DISCORD_TOKEN: the bot token. */
  readonly token: string | undefined;
  /** DISCORD_APPLICATION_ID: the application (and bot user) id. */
  readonly applicationId: string | undefined;
  /** DISCORD_GUILD_ID: `npm run register` deploys to this guild only (instantly) instead of globally. */
  readonly guildId: string | undefined;
  /** DISCORD_API_URL: REST (and so the gateway lookup) through another base, e.g. a rate-limit proxy. */
  readonly apiUrl: string | undefined;
}

/** The Discord settings `npm start` and `npm run register` cannot run without, checked. */
export interface RequiredDiscordConfig {
  readonly token: string;
  readonly applicationId: string;
  readonly guildId: string | undefined;
  readonly apiUrl: string | undefined;
}

export type ConfigResult =
  { ok: true; value: Config } | { ok: false; error: { code: 'invalid-config'; message: string } };

export const DEFAULT_MODEL_PATH = new URL('../models/motif-v1.onnx', import.meta.url).pathname;
export const DEFAULT_DATA_DIR = new URL('../data', import.meta.url).pathname;

export function loadConfig(env: Readonly<Record<string, string | undefined>>, cores: number): ConfigResult {
  const device = env['MOTIF_DEVICE'] ?? 'auto';
  if (!isDevice(device)) {
    return invalid(`MOTIF_DEVICE must be one of ${DEVICES.join(', ')} (got "${device}")`);
  }
  const threads = parsePositiveInt(env['MOTIF_THREADS'], Math.max(1, Math.min(cores, 4)));
  if (threads === undefined) return invalid('MOTIF_THREADS must be a whole number from 1 to 256');
  // One core is left to the model and the bot: on 2 cores a second render worker buys no throughput (bench/inference)
  // and costs about 150 MB at peak.
  const renderWorkers = parsePositiveInt(env['MOTIF_RENDER_WORKERS'], Math.max(1, Math.min(cores - 1, 4)));
  if (renderWorkers === undefined) return invalid('MOTIF_RENDER_WORKERS must be a whole number from 1 to 256');
  const dataDir = resolve(nonEmpty(env['MOTIF_DATA_DIR']) ?? DEFAULT_DATA_DIR);
  const keepDays = parseRetentionDays(env['MOTIF_RETENTION_DAYS']);
  if (keepDays === undefined) {
    return invalid(
      `MOTIF_RETENTION_DAYS must be a whole number of days from 0 to ${MAX_RETENTION_DAYS}, or "forever" ` +
        `(0 and "forever" keep every clip's files; got "${env['MOTIF_RETENTION_DAYS'] ?? ''}")`,
    );
  }
  const keepLiked = parseBoolean(env['MOTIF_KEEP_LIKED'], true);
  if (keepLiked === undefined) {
    return invalid(`MOTIF_KEEP_LIKED must be true or false (got "${env['MOTIF_KEEP_LIKED'] ?? ''}")`);
  }
  const radioKeepHours = parseRadioRetentionHours(env['MOTIF_RADIO_RETENTION_HOURS']);
  if (radioKeepHours === undefined) {
    return invalid(
      `MOTIF_RADIO_RETENTION_HOURS must be a whole number of hours from 0 to ${MAX_RETENTION_DAYS * 24} ` +
        `(0 keeps radio segments as long as other clips; got "${env['MOTIF_RADIO_RETENTION_HOURS'] ?? ''}")`,
    );
  }
  return {
    ok: true,
    value: {
      soundfontPath: nonEmpty(env['MOTIF_SOUNDFONT']),
      modelPath: nonEmpty(env['MOTIF_MODEL']) ?? DEFAULT_MODEL_PATH,
      device,
      threads,
      renderWorkers,
      dataDir,
      databasePath: nonEmpty(env['MOTIF_DATABASE']) ?? join(dataDir, 'motif.sqlite'),
      retention: { keepDays, keepLiked, radioKeepHours },
      discord: {
        token: nonEmpty(env['DISCORD_TOKEN'])?.trim(),
        applicationId: nonEmpty(env['DISCORD_APPLICATION_ID'])?.trim(),
        guildId: nonEmpty(env['DISCORD_GUILD_ID'])?.trim(),
        apiUrl: nonEmpty(env['DISCORD_API_URL'])?.trim(),
      },
    },
  };
}

const SNOWFLAKE = /^\d{15,21}$/;

/**
 * The Discord settings `npm start` and `npm run register` need (token and application id; guild id and API URL
 * when given), each checked; or one message naming every variable that is missing or wrong and where to set it.
 */
export function requireDiscord(
  discord: DiscordConfig,
): { ok: true; value: RequiredDiscordConfig } | { ok: false; error: { code: 'invalid-config'; message: string } } {
  const missing: string[] = [];
  if (discord.token === undefined) missing.push('DISCORD_TOKEN');
  if (discord.applicationId === undefined) missing.push('DISCORD_APPLICATION_ID');
  if (missing.length > 0) {
    return invalidDiscord(
      `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set: copy .env.example to .env and fill ` +
        'in the bot token and application id from https://discord.com/developers/applications',
    );
  }
  const problems: string[] = [];
  if (discord.applicationId !== undefined && !SNOWFLAKE.test(discord.applicationId)) {
    problems.push(`DISCORD_APPLICATION_ID must be a Discord id, digits only (got "${discord.applicationId}")`);
  }
  if (discord.guildId !== undefined && !SNOWFLAKE.test(discord.guildId)) {
    problems.push(`DISCORD_GUILD_ID must be a Discord id, digits only (got "${discord.guildId}")`);
  }
  if (discord.apiUrl !== undefined && !isHttpUrl(discord.apiUrl)) {
    problems.push(`DISCORD_API_URL must be an http(s) URL such as http://127.0.0.1:8080/api (got "${discord.apiUrl}")`);
  }
  if (problems.length > 0) return invalidDiscord(problems.join('; '));
  const { token, applicationId } = discord;
  if (token === undefined || applicationId === undefined) return invalidDiscord('DISCORD_TOKEN is not set');
  return { ok: true, value: { token, applicationId, guildId: discord.guildId, apiUrl: discord.apiUrl } };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function invalidDiscord(message: string): { ok: false; error: { code: 'invalid-config'; message: string } } {
  return { ok: false, error: { code: 'invalid-config', message } };
}

function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function parsePositiveInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 256 ? n : undefined;
}

/** A hundred years: more is "forever" anyway, and a typo like 3000000 is caught. */
const MAX_RETENTION_DAYS = 36_500;
const DEFAULT_RETENTION_DAYS = 30;

/** Days to keep clip files; null = for ever (0 or "forever"); undefined = not a valid value. */
function parseRetentionDays(value: string | undefined): number | null | undefined {
  if (value === undefined || value.trim() === '') return DEFAULT_RETENTION_DAYS;
  const text = value.trim().toLowerCase();
  if (text === 'forever') return null;
  if (!/^\d+$/.test(text)) return undefined;
  const days = Number(text);
  if (days > MAX_RETENTION_DAYS) return undefined;
  return days === 0 ? null : days;
}

const DEFAULT_RADIO_RETENTION_HOURS = 24;

/** Hours to keep radio segments' files; null = as other clips' (0); undefined = not a valid value. */
function parseRadioRetentionHours(value: string | undefined): number | null | undefined {
  if (value === undefined || value.trim() === '') return DEFAULT_RADIO_RETENTION_HOURS;
  const text = value.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const hours = Number(text);
  if (hours > MAX_RETENTION_DAYS * 24) return undefined;
  return hours === 0 ? null : hours;
}

function parseBoolean(value: string | undefined, fallback: boolean): boolean | undefined {
  if (value === undefined || value.trim() === '') return fallback;
  const text = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0'].includes(text)) return false;
  return undefined;
}

function invalid(message: string): ConfigResult {
  return { ok: false, error: { code: 'invalid-config', message } };
}
