import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { DEFAULT_DATA_DIR, DEFAULT_MODEL_PATH, loadConfig, requireDiscord } from '../src/config.ts';

describe('loadConfig', () => {
  test('GIVEN 2 cores THEN one render worker, leaving a core to the model and the bot', () => {
    const config = loadConfig({}, 2);
    assert.ok(config.ok);
    assert.equal(config.value.renderWorkers, 1);
    assert.equal(config.value.threads, 2);
  });

  test('GIVEN an empty environment THEN the defaults, and no Discord settings', () => {
    const config = loadConfig({}, 8);
    assert.ok(config.ok);
    assert.deepEqual(config.value, {
      soundfontPath: undefined,
      modelPath: DEFAULT_MODEL_PATH,
      device: 'auto',
      threads: 4,
      renderWorkers: 4,
      dataDir: DEFAULT_DATA_DIR,
      databasePath: join(DEFAULT_DATA_DIR, 'motif.sqlite'),
      retention: { keepDays: 30, keepLiked: true, radioKeepHours: 24 },
      discord: { token: undefined, applicationId: undefined, guildId: undefined, apiUrl: undefined },
    });
  });

  test('GIVEN every variable THEN each is read', () => {
    const config = loadConfig(
      {
        MOTIF_SOUNDFONT: '/sf/x.sf3',
        MOTIF_MODEL: '/m/model.onnx',
        MOTIF_DEVICE: 'cpu',
        MOTIF_THREADS: '2',
        MOTIF_RENDER_WORKERS: '1',
        MOTIF_DATA_DIR: '/var/motif',
        MOTIF_DATABASE: '/db/motif.sqlite',
        MOTIF_RETENTION_DAYS: '7',
        MOTIF_KEEP_LIKED: 'false',
        MOTIF_RADIO_RETENTION_HOURS: '6',
        DISCORD_TOKEN: ' abc.def ',
        DISCORD_APPLICATION_ID: '100000000000000001',
        DISCORD_GUILD_ID: '200000000000000001',
        DISCORD_API_URL: 'http://127.0.0.1:9999/api',
      },
      2,
    );
    assert.ok(config.ok);
    assert.equal(config.value.device, 'cpu');
    assert.equal(config.value.threads, 2);
    assert.equal(config.value.renderWorkers, 1);
    assert.equal(config.value.dataDir, '/var/motif');
    assert.equal(config.value.databasePath, '/db/motif.sqlite');
    assert.deepEqual(config.value.retention, { keepDays: 7, keepLiked: false, radioKeepHours: 6 });
    assert.deepEqual(config.value.discord, {
      token: 'abc.def',
      applicationId: '100000000000000001',
      guildId: '200000000000000001',
      apiUrl: 'http://127.0.0.1:9999/api',
    });
  });

  test('GIVEN MOTIF_DATA_DIR only THEN the database sits inside it', () => {
    const config = loadConfig({ MOTIF_DATA_DIR: '/srv/motif' }, 1);
    assert.ok(config.ok);
    assert.equal(config.value.databasePath, '/srv/motif/motif.sqlite');
  });

  for (const [days, keepDays] of [
    ['0', null],
    ['forever', null],
    [' Forever ', null],
    ['1', 1],
    ['365', 365],
    ['', 30],
  ] as const) {
    test(`GIVEN MOTIF_RETENTION_DAYS="${days}" THEN clip files are kept ${keepDays === null ? 'for ever' : `${keepDays} days`}`, () => {
      const config = loadConfig({ MOTIF_RETENTION_DAYS: days }, 1);
      assert.ok(config.ok);
      assert.deepEqual(config.value.retention, { keepDays, keepLiked: true, radioKeepHours: 24 });
    });
  }

  for (const [text, keepLiked] of [
    ['true', true],
    ['FALSE', false],
    ['no', false],
    ['1', true],
    ['0', false],
    [' ', true],
  ] as const) {
    test(`GIVEN MOTIF_KEEP_LIKED="${text}" THEN liked clips ${keepLiked ? 'keep' : 'lose'} their files`, () => {
      const config = loadConfig({ MOTIF_KEEP_LIKED: text }, 1);
      assert.ok(config.ok);
      assert.deepEqual(config.value.retention, { keepDays: 30, keepLiked, radioKeepHours: 24 });
    });
  }

  for (const [text, radioKeepHours] of [
    ['0', null],
    ['1', 1],
    [' 48 ', 48],
    ['', 24],
  ] as const) {
    test(`GIVEN MOTIF_RADIO_RETENTION_HOURS="${text}" THEN radio segments keep their files ${radioKeepHours === null ? 'as other clips' : `${radioKeepHours} hours`}`, () => {
      const config = loadConfig({ MOTIF_RADIO_RETENTION_HOURS: text }, 1);
      assert.ok(config.ok);
      assert.deepEqual(config.value.retention, { keepDays: 30, keepLiked: true, radioKeepHours });
    });
  }

  for (const [variable, value, pattern] of [
    [
      'MOTIF_RETENTION_DAYS',
      '-1',
      /^MOTIF_RETENTION_DAYS must be a whole number of days from 0 to 36500, or "forever" .*got "-1"/,
    ],
    ['MOTIF_RETENTION_DAYS', '2.5', /MOTIF_RETENTION_DAYS must be .*got "2\.5"/],
    ['MOTIF_RETENTION_DAYS', '30d', /MOTIF_RETENTION_DAYS must be .*got "30d"/],
    ['MOTIF_RETENTION_DAYS', 'never', /MOTIF_RETENTION_DAYS must be .*got "never"/],
    ['MOTIF_RETENTION_DAYS', '36501', /MOTIF_RETENTION_DAYS must be .*got "36501"/],
    [
      'MOTIF_RADIO_RETENTION_HOURS',
      '1.5',
      /^MOTIF_RADIO_RETENTION_HOURS must be a whole number of hours from 0 to 876000 .*got "1\.5"/,
    ],
    ['MOTIF_RADIO_RETENTION_HOURS', 'forever', /MOTIF_RADIO_RETENTION_HOURS must be .*got "forever"/],
    ['MOTIF_KEEP_LIKED', 'maybe', /^MOTIF_KEEP_LIKED must be true or false \(got "maybe"\)$/],
    ['MOTIF_DEVICE', 'tpu', /MOTIF_DEVICE must be one of/],
    ['MOTIF_THREADS', '0', /MOTIF_THREADS/],
    ['MOTIF_RENDER_WORKERS', 'many', /MOTIF_RENDER_WORKERS/],
  ] as const) {
    test(`GIVEN ${variable}=${value} THEN one message naming it`, () => {
      const config = loadConfig({ [variable]: value }, 2);
      assert.ok(!config.ok);
      assert.match(config.error.message, pattern);
    });
  }
});

describe('requireDiscord', () => {
  const discord = (values: Record<string, string>) => {
    const config = loadConfig(values, 1);
    assert.ok(config.ok);
    return config.value.discord;
  };

  test('GIVEN no token and no application id THEN one message naming both and where to set them', () => {
    const required = requireDiscord(discord({}));
    assert.ok(!required.ok);
    assert.match(
      required.error.message,
      /^DISCORD_TOKEN and DISCORD_APPLICATION_ID are not set: copy \.env\.example to \.env/,
    );
  });

  test('GIVEN only the token THEN the application id is named', () => {
    const required = requireDiscord(discord({ DISCORD_TOKEN: 't' }));
    assert.ok(!required.ok);
    assert.match(required.error.message, /^DISCORD_APPLICATION_ID is not set/);
  });

  test('GIVEN a bad application id, guild id and API URL THEN each is named in one message', () => {
    const required = requireDiscord(
      discord({
        DISCORD_TOKEN: 't',
        DISCORD_APPLICATION_ID: 'motif',
        DISCORD_GUILD_ID: '12',
        DISCORD_API_URL: 'ftp://x',
      }),
    );
    assert.ok(!required.ok);
    assert.match(required.error.message, /DISCORD_APPLICATION_ID must be a Discord id/);
    assert.match(required.error.message, /DISCORD_GUILD_ID must be a Discord id/);
    assert.match(required.error.message, /DISCORD_API_URL must be an http\(s\) URL/);
  });

  test('GIVEN a token and application id THEN they are returned, guild and API URL optional', () => {
    const required = requireDiscord(discord({ DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '100000000000000001' }));
    assert.deepEqual(required, {
      ok: true,
      value: { token: 't', applicationId: '100000000000000001', guildId: undefined, apiUrl: undefined },
    });
  });
});
