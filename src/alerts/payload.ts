/**
 * The body Checkly posts for an alert: the app's template (what `/checkly alerts on` gives Checkly,
 * and the README shows for pasting by hand), and its parser. Checkly renders the template with
 * Handlebars: `{{VAR}}` comes HTML-escaped (a name with `"` arrives as `&quot;`, which also keeps the
 * JSON whole), and an array (TAGS) comes joined by commas. A raw newline or backslash in a value
 * would break the JSON, so the parser mends those before reading, then undoes the escaping.
 */

/** Checkly's alert types (docs: webhook alert channels, ALERT_TYPE). */
export const ALERT_TYPES = [
  'ALERT_FAILURE',
  'ALERT_FAILURE_REMAIN',
  'ALERT_FAILURE_DEGRADED',
  'ALERT_DEGRADED',
  'ALERT_DEGRADED_REMAIN',
  'ALERT_DEGRADED_FAILURE',
  'ALERT_DEGRADED_RECOVERY',
  'ALERT_RECOVERY',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** The variables the template sends, each under its own name. */
const FIELDS = [
  'ALERT_TYPE',
  'CHECK_ID',
  'CHECK_NAME',
  'CHECK_TYPE',
  'CHECK_RESULT_ID',
  'RESULT_LINK',
  'RUN_LOCATION',
  'RESPONSE_TIME',
  'STARTED_AT',
  'TAGS',
  'GROUP_NAME',
  'CHECK_ERROR_MESSAGE',
  'API_CHECK_RESPONSE_STATUS_CODE',
] as const;

/** The JSON template the app's alert channel renders: every value a string, so any rendering stays JSON. */
export const ALERT_TEMPLATE = `{${FIELDS.map((f) => `"${f}":"{{${f}}}"`).join(',')}}`;

/** One alert, as the app reads it. */
export interface Alert {
  type: AlertType;
  checkId: string;
  checkName: string;
  checkType: string;
  resultId: string;
  resultLink: string;
  location: string;
  /** Epoch ms when the result's run started (the delivery's time when Checkly gave none). */
  startedAt: number;
  tags: string[];
  groupName: string;
  error: string;
  /** The API check's HTTP status, when it has one. */
  statusCode?: number;
  responseTimeMs?: number;
}

export type ParsedAlert = { ok: true; alert: Alert } | { ok: false; problem: string };

/** Handlebars' escapeExpression, undone (`&amp;` last, so `&amp;lt;` stays `&lt;`). */
const ENTITIES: ReadonlyArray<[RegExp, string]> = [
  [/&lt;/g, '<'],
  [/&gt;/g, '>'],
  [/&quot;/g, '"'],
  [/&#x27;/g, "'"],
  [/&#x60;/g, '`'],
  [/&#x3D;/g, '='],
  [/&amp;/g, '&'],
];

export function unescapeHandlebars(s: string): string {
  return ENTITIES.reduce((out, [pattern, char]) => out.replace(pattern, char), s);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FIELD = 4_000;

/** Reads a delivery; a body that is not the app's template is refused with what is wrong. */
export function parseAlert(raw: string, receivedAt: number): ParsedAlert {
  const value = readJson(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'The body is not a JSON object.' };
  const fields = value as Record<string, unknown>;
  const text = (name: string): string => {
    const v = fields[name];
    return typeof v === 'string' ? unescapeHandlebars(v).slice(0, MAX_FIELD) : typeof v === 'number' ? String(v) : '';
  };
  const type = text('ALERT_TYPE');
  if (!(ALERT_TYPES as readonly string[]).includes(type)) return { ok: false, problem: 'ALERT_TYPE is missing or not one of Checkly’s alert types.' };
  const checkId = text('CHECK_ID');
  if (!UUID.test(checkId)) return { ok: false, problem: 'CHECK_ID is missing or not a UUID.' };
  const resultId = text('CHECK_RESULT_ID');
  const started = Date.parse(text('STARTED_AT'));
  const status = Number.parseInt(text('API_CHECK_RESPONSE_STATUS_CODE'), 10);
  const responseTime = Number(text('RESPONSE_TIME'));
  const alert: Alert = {
    type: type as AlertType,
    checkId: checkId.toLowerCase(),
    checkName: text('CHECK_NAME') || checkId,
    checkType: text('CHECK_TYPE'),
    // A repeated delivery is known by its result and type; without a result, by its start.
    resultId: UUID.test(resultId) ? resultId.toLowerCase() : '',
    resultLink: text('RESULT_LINK'),
    location: text('RUN_LOCATION'),
    startedAt: Number.isFinite(started) ? started : receivedAt,
    tags: text('TAGS')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    groupName: text('GROUP_NAME'),
    error: text('CHECK_ERROR_MESSAGE'),
  };
  if (Number.isInteger(status) && status >= 100 && status <= 599) alert.statusCode = status;
  if (text('RESPONSE_TIME') !== '' && Number.isFinite(responseTime) && responseTime >= 0) alert.responseTimeMs = responseTime;
  return { ok: true, alert };
}

/**
 * JSON.parse, after mending what a rendered value can break: raw control characters and backslashes
 * (the template itself has neither, so every one came from a value).
 */
function readJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    const mended = raw.replace(/\\/g, '\\\\').replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    try {
      return JSON.parse(mended);
    } catch {
      return undefined;
    }
  }
}

/** What makes a delivery the same as one already taken: Checkly repeats with the same result and type. */
export function deliveryKey(alert: Alert): string {
  return `${alert.resultId || alert.startedAt}:${alert.type}`;
}

export function isRecovery(type: AlertType): boolean {
  return type === 'ALERT_RECOVERY' || type === 'ALERT_DEGRADED_RECOVERY';
}

/** Whether the check is failing (rather than degraded) after this alert. */
export function isFailing(type: AlertType): boolean {
  return type === 'ALERT_FAILURE' || type === 'ALERT_FAILURE_REMAIN' || type === 'ALERT_DEGRADED_FAILURE';
}
