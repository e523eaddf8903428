/**
 * How much a message shows. Slack refuses a message whose blocks hold more than about 12,000
 * characters of text in all (`msg_blocks_too_long`, undocumented: docs/commands.md#slacks-limits), so every message is
 * built within a text cap well under it. Should Slack still refuse one (its count is not ours), the
 * message is built again one size smaller: fewer rows and shorter error lines, then rows without errors.
 */
export type MessageSize = 'full' | 'compact' | 'minimal';

export interface SizeCap {
  /** Characters of text over all the blocks (as `textLength` counts them). */
  text: number;
  /** Characters of a row's error line; 0 leaves it out. */
  errorMax: number;
}

export const SIZE_CAPS: Readonly<Record<MessageSize, SizeCap>> = {
  full: { text: 10_000, errorMax: 400 },
  compact: { text: 6_000, errorMax: 120 },
  minimal: { text: 3_000, errorMax: 0 },
};

/** The next size down, or undefined below the smallest. */
export function smallerSize(size: MessageSize): MessageSize | undefined {
  return size === 'full' ? 'compact' : size === 'compact' ? 'minimal' : undefined;
}
