/**
 * The bot: a discord.js client, the dispatcher with every command and clip button, and the job replies that
 * follow the inference service's events. `src/main.ts` builds one from config; tests build one against the
 * fake Discord.
 */
import { Events, type Client, type Interaction } from 'discord.js';

import { allCommands, type UserDataOptions } from '../commands/all-commands.ts';
import type { ComposeCommandOptions } from '../commands/compose.ts';
import { recentJobClips, recentStoredClips } from '../commands/recent-clips.ts';
import type { VoiceCommandsOptions } from '../commands/voice-command-options.ts';
import { createVoicePlayback } from '../commands/voice-playback.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { createClipButtons } from './clip-buttons.ts';
import { createJobResultClipLookup } from './clip-lookup.ts';
import type { ClipLookup, FeedbackSink, VoicePlayback } from './collaborators.ts';
import type { BotCommand, ComponentHandler } from './command.ts';
import { createDiscordClient } from './create-client.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import type { GuildSettingsStore } from './guild-settings.ts';
import { createJobReplies, type JobReplies } from './job-replies.ts';

export interface BotOptions {
  readonly token: string;
  readonly applicationId: string;
  /** REST (and gateway lookup) through another base URL; see create-client.ts. */
  readonly apiUrl?: string | undefined;
  readonly service: InferenceService;
  readonly settings: GuildSettingsStore;
  /** Finds the clip behind a button; by default the finished job's result in the job queue. */
  readonly clips?: ClipLookup | undefined;
  /** 👍, 👎, ▶, 🔁, ➕ and new tracks, as events of whoever pressed. */
  readonly feedback?: FeedbackSink | undefined;
  /** ▶ plays in voice; without it ▶ says voice playback is not available yet (or plays through `voiceControls`). */
  readonly voice?: VoicePlayback | undefined;
  /**
   * src/voice's controls (wired by src/main.ts): /play, /skip, /stop, /leave, /nowplaying, /radio, the radio's
   * 👍 / 👎, and ▶ when `voice` is not given. Without them there are no voice commands.
   */
  readonly voiceControls?: VoiceCommandsOptions['controls'] | undefined;
  /** The style when /compose names none (a "for me" blend, with a line saying why); pop by default. */
  readonly defaultStyle?: ComposeCommandOptions['defaultStyle'];
  /** The clips table and taste behind /recommend, /history, /taste, /export-me, /forget-me (absent: no such commands). */
  readonly userData?: UserDataOptions | undefined;
  /** A finished clip's message was posted (the clips table notes its id). */
  readonly onClipPosted?: ((clipId: string, messageId: string) => void) | undefined;
  readonly log: (line: string) => void;
  /** Least time between two progress edits of one message; default 1000 ms. */
  readonly minEditGapMs?: number | undefined;
  /** How long an interaction's token works; Discord's 15 minutes by default (tests shorten it). */
  readonly interactionTokenLifetimeMs?: number | undefined;
  /** Seeds for requests that name none; crypto-random by default. */
  readonly seed?: (() => number) | undefined;
  /** More slash commands (e.g. voice's /play, /stop), dispatched beside Motif's own. */
  readonly extraCommands?: readonly BotCommand[] | undefined;
  /** More component handlers, by custom-id prefix (a prefix may be used once). */
  readonly extraComponents?: readonly ComponentHandler[] | undefined;
  /** A client to use instead of a new one (tests). */
  readonly client?: Client | undefined;
}

export interface Bot {
  readonly client: Client;
  readonly commands: readonly BotCommand[];
  readonly replies: JobReplies;
  readonly dispatcher: Dispatcher;
  /** Logs in and resolves once the gateway session is ready. */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * Stops taking interactions, runs `drain` (the composition root stops the inference service there, so jobs in
   * flight still get their replies), sends the edits in flight, and closes the gateway. Idempotent.
   */
  stop(options?: { readonly drain?: (() => Promise<void>) | undefined }): Promise<void>;
}

export function createBot(options: BotOptions): Bot {
  const client = options.client ?? createDiscordClient({ apiUrl: options.apiUrl });
  const { service, settings, log } = options;
  const replies = createJobReplies({
    client,
    applicationId: options.applicationId,
    service,
    log,
    minEditGapMs: options.minEditGapMs,
    onClipPosted: options.onClipPosted,
  });
  const clips = options.clips ?? createJobResultClipLookup(service);
  const voice: VoiceCommandsOptions | undefined =
    options.voiceControls === undefined
      ? undefined
      : {
          controls: options.voiceControls,
          settings,
          clips,
          // /play's list and default: the clips table when there is one (it outlives the queue's pruning).
          recentClips:
            options.userData === undefined ? recentJobClips(service) : recentStoredClips(options.userData.store),
          feedback: options.feedback,
          defaultStyle: options.defaultStyle,
          member: (guildId, userId) => client.guilds.cache.get(guildId)?.members.cache.get(userId),
          log,
          interactionTokenLifetimeMs: options.interactionTokenLifetimeMs,
        };
  const commands = [
    ...allCommands({
      service,
      replies,
      settings,
      defaultStyle: options.defaultStyle,
      seed: options.seed,
      userData: options.userData,
      voice,
    }),
    ...(options.extraCommands ?? []),
  ];
  const dispatcher = createDispatcher({
    commands,
    components: createClipButtons({
      service,
      replies,
      clips,
      settings,
      feedback: options.feedback,
      voice: options.voice ?? (voice === undefined ? undefined : createVoicePlayback(voice)),
      log,
      seed: options.seed,
    }).concat(
      commands.flatMap((command) => command.components ?? []),
      options.extraComponents ?? [],
    ),
    log,
  });
  const onInteraction = (interaction: Interaction): void => {
    void dispatcher.handle(interaction);
  };
  client.on(Events.InteractionCreate, onInteraction);
  client.on(Events.Error, (error) => {
    log(`discord client error: ${error.message}`);
  });

  let stopped: Promise<void> | undefined;
  return {
    client,
    commands,
    replies,
    dispatcher,
    async start(signal) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => {
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      const ready = new Promise<void>((resolve) => {
        client.once(Events.ClientReady, () => {
          resolve();
        });
      });
      const loggingIn = Promise.all([client.login(options.token), ready]);
      // When the wait is aborted first, a later failure of the login has no one to hear it.
      loggingIn.catch(() => undefined);
      try {
        await Promise.race([loggingIn, aborted]);
      } catch (error) {
        await client.destroy();
        throw error;
      } finally {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      }
      log(`logged in to Discord as ${client.user?.tag ?? '?'} in ${client.guilds.cache.size} guild(s)`);
    },
    stop(stopOptions = {}) {
      stopped ??= (async () => {
        client.off(Events.InteractionCreate, onInteraction);
        try {
          await stopOptions.drain?.();
        } finally {
          await replies.close();
        }
        await client.destroy();
      })();
      return stopped;
    },
  };
}
