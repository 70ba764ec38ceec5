import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MessageFlags, type Interaction } from 'discord.js';

import type { BotCommand, ComponentHandler } from '../../src/bot/command.ts';
import { createDispatcher } from '../../src/bot/dispatcher.ts';
import { UserError } from '../../src/bot/user-error.ts';

interface Sent {
  method: 'reply' | 'editReply' | 'followUp' | 'respond';
  options: unknown;
}

/** A stand-in for a discord.js interaction: only what the dispatcher reads and calls. */
function fakeInteraction(
  kind: 'command' | 'button' | 'autocomplete',
  name: string,
  state: { deferred?: boolean; replied?: boolean } = {},
) {
  const sent: Sent[] = [];
  const interaction = {
    commandName: name,
    customId: name,
    user: { id: '42' },
    guildId: '7',
    channelId: '8',
    deferred: state.deferred ?? false,
    replied: state.replied ?? false,
    responded: false,
    isAutocomplete: () => kind === 'autocomplete',
    isChatInputCommand: () => kind === 'command',
    isButton: () => kind === 'button',
    isStringSelectMenu: () => false,
    reply: (options: unknown) => {
      sent.push({ method: 'reply', options });
      return Promise.resolve();
    },
    editReply: (options: unknown) => {
      sent.push({ method: 'editReply', options });
      return Promise.resolve();
    },
    followUp: (options: unknown) => {
      sent.push({ method: 'followUp', options });
      return Promise.resolve();
    },
    respond: (options: unknown) => {
      sent.push({ method: 'respond', options });
      return Promise.resolve();
    },
  };
  return { interaction: interaction as unknown as Interaction, sent };
}

function command(name: string, execute: BotCommand['execute'], autocomplete?: BotCommand['autocomplete']): BotCommand {
  return { data: { name, description: name }, execute, ...(autocomplete === undefined ? {} : { autocomplete }) };
}

describe('the dispatcher', () => {
  test('GIVEN a command that throws a UserError THEN its message is the ephemeral reply and nothing is logged', async () => {
    const logs: string[] = [];
    const dispatcher = createDispatcher({
      commands: [
        command('compose', () =>
          Promise.reject(new UserError({ code: 'bad-tempo', message: 'Tempo must be 40 to 240.' })),
        ),
      ],
      components: [],
      log: (line) => logs.push(line),
    });
    const { interaction, sent } = fakeInteraction('command', 'compose');
    await dispatcher.handle(interaction);
    assert.deepEqual(sent, [
      {
        method: 'reply',
        options: { content: 'Tempo must be 40 to 240.', flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } },
      },
    ]);
    assert.deepEqual(logs, []);
  });

  test('GIVEN a command that fails unexpectedly THEN the error is logged with an id and its context, and the user gets an apology quoting that id', async () => {
    const logs: string[] = [];
    const dispatcher = createDispatcher({
      commands: [command('compose', () => Promise.reject(new Error('disk full')))],
      components: [],
      log: (line) => logs.push(line),
      errorId: () => 'abc123',
    });
    const { interaction, sent } = fakeInteraction('command', 'compose');
    await dispatcher.handle(interaction);
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? '', /^error abc123 in \/compose \(user 42, guild 7, channel 8\): Error: disk full/);
    const reply = sent[0]?.options as { content: string; flags: number };
    assert.equal(sent[0]?.method, 'reply');
    assert.match(reply.content, /^Sorry, something went wrong on my side\..*`abc123`/);
    assert.equal(reply.flags, MessageFlags.Ephemeral);
    assert.doesNotMatch(reply.content, /disk full/, 'internals stay in the log');
  });

  test('GIVEN a deferred interaction THEN the error replaces the deferred message; GIVEN a replied one THEN it is an ephemeral follow-up', async () => {
    const failing = command('compose', () => Promise.reject(new UserError({ code: 'x', message: 'Change this.' })));
    const dispatcher = createDispatcher({ commands: [failing], components: [], log: () => undefined });
    const deferred = fakeInteraction('command', 'compose', { deferred: true });
    await dispatcher.handle(deferred.interaction);
    assert.equal(deferred.sent[0]?.method, 'editReply');
    assert.equal((deferred.sent[0].options as { content: string }).content, 'Change this.');
    const replied = fakeInteraction('command', 'compose', { replied: true });
    await dispatcher.handle(replied.interaction);
    assert.equal(replied.sent[0]?.method, 'followUp');
    assert.equal((replied.sent[0].options as { flags: number }).flags, MessageFlags.Ephemeral);
  });

  test('GIVEN an unknown command THEN an ephemeral answer pointing to /help', async () => {
    const dispatcher = createDispatcher({ commands: [], components: [], log: () => undefined });
    const { interaction, sent } = fakeInteraction('command', 'polka');
    await dispatcher.handle(interaction);
    assert.match((sent[0]?.options as { content: string }).content, /\/polka.*\/help/);
  });

  test('GIVEN a button THEN the handler of its custom-id prefix gets the rest as its argument', async () => {
    const seen: string[] = [];
    const handler: ComponentHandler = {
      prefix: 'vary',
      handle: (_interaction, argument) => {
        seen.push(argument);
        return Promise.resolve();
      },
    };
    const dispatcher = createDispatcher({ commands: [], components: [handler], log: () => undefined });
    await dispatcher.handle(fakeInteraction('button', 'vary:1234-abcd').interaction);
    assert.deepEqual(seen, ['1234-abcd']);
    const unknown = fakeInteraction('button', 'polka:1');
    await dispatcher.handle(unknown.interaction);
    assert.match((unknown.sent[0]?.options as { content: string }).content, /no longer does anything/);
  });

  test('GIVEN an autocomplete that throws THEN it is logged and answered with no choices', async () => {
    const logs: string[] = [];
    const dispatcher = createDispatcher({
      commands: [
        command(
          'compose',
          () => Promise.resolve(),
          () => Promise.reject(new Error('boom')),
        ),
      ],
      components: [],
      log: (line) => logs.push(line),
    });
    const { interaction, sent } = fakeInteraction('autocomplete', 'compose');
    await dispatcher.handle(interaction);
    assert.deepEqual(sent, [{ method: 'respond', options: [] }]);
    assert.match(logs[0] ?? '', /autocomplete of \/compose failed: .*boom/);
  });

  test('GIVEN the error reply itself fails THEN the dispatcher logs it and does not reject', async () => {
    const logs: string[] = [];
    const dispatcher = createDispatcher({
      commands: [command('compose', () => Promise.reject(new UserError({ code: 'x', message: 'no' })))],
      components: [],
      log: (line) => logs.push(line),
    });
    const { interaction } = fakeInteraction('command', 'compose');
    (interaction as unknown as { reply: () => Promise<void> }).reply = () =>
      Promise.reject(new Error('Unknown interaction'));
    await dispatcher.handle(interaction);
    assert.match(logs[0] ?? '', /could not answer the error in \/compose: .*Unknown interaction/);
  });

  test('GIVEN two handlers for one command name or custom-id prefix THEN the dispatcher refuses to start', () => {
    const noop = (): Promise<void> => Promise.resolve();
    assert.throws(
      () =>
        createDispatcher({
          commands: [command('play', noop), command('play', noop)],
          components: [],
          log: () => undefined,
        }),
      /two handlers for the command "play"/,
    );
    assert.throws(
      () =>
        createDispatcher({
          commands: [],
          components: [
            { prefix: 'play', handle: noop },
            { prefix: 'play', handle: noop },
          ],
          log: () => undefined,
        }),
      /two handlers for the custom-id prefix "play"/,
    );
  });
});
