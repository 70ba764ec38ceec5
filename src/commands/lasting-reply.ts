/**
 * A command's public reply that the bot keeps editing for longer than the interaction's token lives (15 minutes
 * from the interaction): through the interaction's webhook while the token works, then as the bot's own message in
 * its channel (Edit Message accepts a non-ephemeral interaction response; an ephemeral one cannot be edited so).
 * The radio's now-playing message lives for hours this way.
 */
import {
  Routes,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type ChatInputCommandInteraction,
} from 'discord.js';

import { INTERACTION_TOKEN_LIFETIME_MS } from '../inference/inference-service.ts';

export interface LastingReplyBody {
  readonly content: string;
  /** Rows of components; [] takes them away; undefined leaves them as they are. */
  readonly components?: readonly APIActionRowComponent<APIComponentInMessageActionRow>[] | undefined;
}

export type LastingReplyEdit = (body: LastingReplyBody) => Promise<unknown>;

/** Edits go through the channel once the token has less than this left (a request may wait on a rate limit). */
const TOKEN_MARGIN_MS = 60_000;

export interface LastingReplyOptions {
  /** How long the interaction's token works; Discord's 15 minutes by default. */
  readonly tokenLifetimeMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

/** Replies with `body` (mentions never ping) and returns how to edit that reply from then on, for as long as it exists. */
export async function replyLasting(
  interaction: ChatInputCommandInteraction,
  body: LastingReplyBody,
  options: LastingReplyOptions = {},
): Promise<LastingReplyEdit> {
  const now = options.now ?? Date.now;
  const lifetimeMs = options.tokenLifetimeMs ?? INTERACTION_TOKEN_LIFETIME_MS;
  // The token's life starts with the interaction, whose id carries its time.
  const webhookUntil = interaction.createdTimestamp + lifetimeMs - Math.min(TOKEN_MARGIN_MS, lifetimeMs / 15);
  const response = await interaction.reply({ ...replyFields(body), withResponse: true });
  const message = response.resource?.message ?? (await interaction.fetchReply());
  const { channelId, id } = message;
  return async (next) => {
    if (now() < webhookUntil) return interaction.editReply(replyFields(next));
    return interaction.client.rest.patch(Routes.channelMessage(channelId, id), {
      body: {
        content: next.content,
        ...(next.components === undefined ? {} : { components: next.components }),
        allowed_mentions: { parse: [] },
      },
    });
  };
}

function replyFields(body: LastingReplyBody): {
  content: string;
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  allowedMentions: { parse: [] };
} {
  return {
    content: body.content,
    ...(body.components === undefined ? {} : { components: [...body.components] }),
    allowedMentions: { parse: [] },
  };
}
