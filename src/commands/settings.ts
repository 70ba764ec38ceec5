/**
 * /settings (members with Manage Server): where Motif composes, the longest clip, voice playback on or off.
 * Stored per guild in `guild_settings`; /settings show prints them.
 */
import {
  ApplicationCommandOptionType,
  ChannelType,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import type { GuildSettings, GuildSettingsStore } from '../bot/guild-settings.ts';
import { UserError } from '../bot/user-error.ts';
import { MAX_LENGTH_SECONDS, MIN_LENGTH_SECONDS } from '../inference/compose-request.ts';

export function createSettingsCommand(options: { readonly settings: GuildSettingsStore }): BotCommand {
  const { settings } = options;
  return {
    data: {
      name: 'settings',
      description: 'Where Motif composes, the longest clip, voice playback (Manage Server)',
      default_member_permissions: PermissionFlagsBits.ManageGuild.toString(),
      contexts: [InteractionContextType.Guild],
      options: [
        { type: ApplicationCommandOptionType.Subcommand, name: 'show', description: 'The settings in force' },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'channels',
          description: 'Channels where Motif composes (none listed = every channel)',
          options: [
            {
              type: ApplicationCommandOptionType.String,
              name: 'action',
              description: 'Add or remove a channel, or allow every channel again',
              required: true,
              choices: [
                { name: 'add', value: 'add' },
                { name: 'remove', value: 'remove' },
                { name: 'every channel', value: 'clear' },
              ],
            },
            {
              type: ApplicationCommandOptionType.Channel,
              name: 'channel',
              description: 'The channel (for add and remove)',
              channel_types: [ChannelType.GuildText],
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'max-length',
          description: 'The longest clip anyone may ask for',
          options: [
            {
              type: ApplicationCommandOptionType.Integer,
              name: 'seconds',
              description: `${MIN_LENGTH_SECONDS}-${MAX_LENGTH_SECONDS}; leave out for Motif's own limit (${MAX_LENGTH_SECONDS})`,
              min_value: MIN_LENGTH_SECONDS,
              max_value: MAX_LENGTH_SECONDS,
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'voice',
          description: 'Whether ▶ plays clips in voice channels',
          options: [
            { type: ApplicationCommandOptionType.Boolean, name: 'enabled', description: 'On or off', required: true },
          ],
        },
      ],
    },

    async execute(interaction) {
      if (!interaction.inGuild())
        throw new UserError({ code: 'not-in-guild', message: '/settings works in a server only.' });
      // Discord hides the command from others, but a server can override that: check again.
      if (!interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
        throw new UserError({
          code: 'not-allowed',
          message: "Only members with Manage Server can change Motif's settings.",
        });
      }
      const guildId = interaction.guildId;
      const by = interaction.user.id;
      const current = settings.get(guildId);
      let next: GuildSettings = current;
      switch (interaction.options.getSubcommand()) {
        case 'show':
          break;
        case 'channels': {
          const action = interaction.options.getString('action', true);
          if (action === 'clear') {
            next = settings.update(guildId, { allowedChannels: [] }, by);
            break;
          }
          const channel = interaction.options.getChannel('channel');
          if (channel === null) throw new UserError({ code: 'no-channel', message: `Name the channel to ${action}.` });
          const allowed =
            action === 'add'
              ? [...current.allowedChannels, channel.id]
              : current.allowedChannels.filter((id) => id !== channel.id);
          next = settings.update(guildId, { allowedChannels: allowed }, by);
          break;
        }
        case 'max-length': {
          const seconds = interaction.options.getInteger('seconds');
          if (seconds !== null && (seconds < MIN_LENGTH_SECONDS || seconds > MAX_LENGTH_SECONDS)) {
            throw new UserError({
              code: 'bad-length',
              message: `The longest length must be ${MIN_LENGTH_SECONDS} to ${MAX_LENGTH_SECONDS} seconds.`,
            });
          }
          next = settings.update(guildId, { maxLengthSeconds: seconds ?? undefined }, by);
          break;
        }
        case 'voice':
          next = settings.update(guildId, { voiceEnabled: interaction.options.getBoolean('enabled', true) }, by);
          break;
      }
      await interaction.reply({
        content: describeSettings(next),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
  };
}

export function describeSettings(settings: GuildSettings): string {
  const channels =
    settings.allowedChannels.length === 0
      ? 'every channel'
      : settings.allowedChannels.map((id) => `<#${id}>`).join(', ');
  return [
    `Composes in: ${channels}`,
    `Longest clip: ${settings.maxLengthSeconds ?? MAX_LENGTH_SECONDS} seconds`,
    `Voice playback: ${settings.voiceEnabled ? 'on' : 'off'}`,
  ].join('\n');
}
