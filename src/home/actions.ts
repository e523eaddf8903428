/**
 * What a person does in the Home tab, and from a run message's "…" menu: open the tab, run a pin or
 * a recent run again (guarded as every run is, started through the run service, in the pin's or the
 * run's channel), pin a target typed in the tab, unpin; pin or unpin a run's target from its message.
 * The tab says on top what came of a click there.
 */
import type { AllMiddlewareArgs, BlockButtonAction, BlockOverflowAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { parseRunMoreValue } from '../blocks/actions';
import { homeNotice, PIN_CHANNEL_INPUT, PIN_TARGET_INPUT } from '../blocks/home';
import { channelUnreachableText, namedRefusalText } from '../blocks/refusal';
import { describeTarget } from '../grammar/describe';
import { parseCommand } from '../grammar/parse';
import { guarded } from '../guard/slack';
import { auditTarget } from '../ops/audit';
import type { Target } from '../runs/types';
import { errorText } from '../shared/error-text';
import { MAX_PINS, type Person } from './book';
import type { HomeDeps } from './deps';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
type MenuArgs = SlackActionMiddlewareArgs<BlockOverflowAction>;

/** A run asked for from the tab: what, where, and how the tab names it. */
interface Asked {
  target: Target;
  channel: string;
}

const askedOf = (args: Pick<ButtonArgs, 'context'>): Asked => args.context.homeRun as Asked;

function personOf(args: { body: { user: { id: string; team_id?: string }; team?: { id: string } | null } }): Person {
  return { teamId: args.body.team?.id ?? args.body.user.team_id ?? '', userId: args.body.user.id };
}

/** A pin's Run: its target in its channel. */
export function runPin(deps: HomeDeps): Array<Middleware<SlackActionMiddlewareArgs<BlockButtonAction>>> {
  return [
    async (args) => {
      await args.ack();
      const person = personOf(args);
      const pin = (await deps.book.read(person)).pins.find((p) => p.id === args.action.value);
      const parsed = pin && parseCommand(`run ${pin.target}`, deps.commandName);
      if (!pin || parsed?.kind !== 'run') {
        await deps.tab.publish(person, homeNotice.gone());
        return;
      }
      args.context.homeRun = { target: parsed.target, channel: pin.channel } satisfies Asked;
      await args.next();
    },
    ...guardedStart(deps),
  ];
}

/** A recent run's Run again: the same target, in the same channel, as a new run. */
export function runAgain(deps: HomeDeps): Array<Middleware<SlackActionMiddlewareArgs<BlockButtonAction>>> {
  return [
    async (args) => {
      await args.ack();
      const run = await deps.runs.read(args.action.value ?? '');
      if (!run) {
        await deps.tab.publish(personOf(args), homeNotice.gone());
        return;
      }
      args.context.homeRun = { target: run.target, channel: run.channel } satisfies Asked;
      await args.next();
    },
    ...guardedStart(deps),
  ];
}

/** The rules of every run (the channel, the person, `--all`), then the run, then the tab saying what came of it. */
function guardedStart(deps: HomeDeps): Array<Middleware<SlackActionMiddlewareArgs<BlockButtonAction>>> {
  return [
    guarded<SlackActionMiddlewareArgs<BlockButtonAction>>(
      deps,
      (args) => {
        const { target, channel } = askedOf(args);
        const { teamId, userId } = personOf(args);
        return {
          request: { action: 'run', userId, channelId: channel, target },
          audit: { action: 'trigger', userId, teamId, channelId: channel, via: 'button', target: auditTarget(target) },
        };
      },
      async (args, refusal) => {
        const { userId } = personOf(args);
        await deps.tab.publish(personOf(args), `⛔ ${namedRefusalText(refusal, askedOf(args).channel, userId)}`);
      },
    ),
    async (args) => {
      const { target, channel } = askedOf(args);
      const person = personOf(args);
      let notice: string;
      try {
        const started = await deps.runs.start({
          teamId: person.teamId,
          channel,
          requester: person.userId,
          target,
          refreshCache: false,
          origin: { kind: 'button', userId: person.userId },
        });
        notice = 'unreachable' in started ? `⚠️ ${channelUnreachableText(channel, started.unreachable)}` : homeNotice.started(describeTarget(target), channel);
      } catch (err) {
        deps.logger.error({ err: errorText(err), channel }, 'starting a run from the Home tab failed');
        notice = homeNotice.startFailed();
      }
      await deps.tab.publish(person, notice);
    },
  ];
}

/** The tab's form: the target typed and the channel picked become a pin. Pinning runs nothing. */
export function pinTyped(deps: HomeDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> {
  return async (args) => {
    await args.ack();
    const person = personOf(args);
    const values = args.body.view?.state?.values ?? {};
    const typed = values[PIN_TARGET_INPUT]?.[PIN_TARGET_INPUT]?.value ?? '';
    const channel = values[PIN_CHANNEL_INPUT]?.[PIN_CHANNEL_INPUT]?.selected_conversation ?? undefined;
    const parsed = parseCommand(`run ${typed}`, deps.commandName);
    if (typed.trim() === '' || parsed.kind !== 'run') {
      const problem =
        parsed.kind === 'error' ? parsed.problem : `type a target as ${deps.commandName} run takes it (tags such as prod,api, or --check <uuid>).`;
      await deps.tab.publish(person, homeNotice.badTarget(problem));
      return;
    }
    if (typeof channel !== 'string' || !/^[CG][A-Z0-9]{2,}$/.test(channel)) {
      await deps.tab.publish(person, homeNotice.noChannel());
      return;
    }
    await deps.tab.publish(person, await pinNotice(deps, person, describeTarget(parsed.target), channel));
  };
}

/** A pin's Unpin. */
export function unpin(deps: HomeDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> {
  return async (args) => {
    await args.ack();
    const person = personOf(args);
    const removed = await deps.book.unpin(person, { id: args.action.value ?? '' });
    await deps.tab.publish(person, removed ? homeNotice.unpinned(removed.target, removed.channel) : homeNotice.gone());
  };
}

/** A run message's "…": pin the run's target in its channel to the chooser's tab, or unpin it; answered beside the message. */
export function pinFromMessage(deps: HomeDeps): Middleware<MenuArgs> {
  return async (args) => {
    await args.ack();
    const person = personOf(args);
    const chosen = parseRunMoreValue(args.action.selected_option.value);
    const run = chosen && (await deps.runs.read(chosen.run));
    let notice: string;
    if (!chosen || !run) notice = homeNotice.gone();
    else if (chosen.choice === 'pin') notice = await pinNotice(deps, person, describeTarget(run.target), run.channel);
    else {
      const removed = await deps.book.unpin(person, { target: describeTarget(run.target), channel: run.channel });
      notice = removed ? homeNotice.unpinned(removed.target, removed.channel) : homeNotice.gone();
    }
    await args.respond({ response_type: 'ephemeral', replace_original: false, text: notice });
    if ((await deps.book.read(person)).openedAt !== undefined) await deps.tab.publish(person);
  };
}

async function pinNotice(deps: HomeDeps, person: Person, target: string, channel: string): Promise<string> {
  const outcome = await deps.book.pin(person, target, channel);
  if (outcome === 'full') return homeNotice.full(MAX_PINS);
  return outcome === 'already' ? homeNotice.alreadyPinned(target, channel) : homeNotice.pinned(target, channel);
}
