import { loadAccessConfig } from '../../src/access/config';

describe('loadAccessConfig', () => {
  it('with nothing set: no restriction, and --all off', () => {
    expect(loadAccessConfig({})).toEqual({ ok: true, policy: { allowAll: false } });
    expect(loadAccessConfig({ ALLOWED_CHANNELS: '  ', ALLOWED_USERS: '' })).toEqual({ ok: true, policy: { allowAll: false } });
  });

  it('reads comma- or space-separated IDs, upper-cased and de-duplicated', () => {
    const result = loadAccessConfig({
      ALLOWED_CHANNELS: 'C0OPS, g0priv ,D0DM',
      ALLOWED_USERS: 'U0ALICE W0GRID U0ALICE',
      ALLOWED_USERGROUPS: 'S0SRE,',
      ALLOW_RUN_ALL: 'true',
      ACCESS_CONTACT: '#platform-help',
    });
    expect(result).toEqual({
      ok: true,
      policy: {
        allowedChannels: new Set(['C0OPS', 'G0PRIV', 'D0DM']),
        allowedUsers: new Set(['U0ALICE', 'W0GRID']),
        allowedUsergroups: new Set(['S0SRE']),
        allowAll: true,
        contact: '#platform-help',
      },
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['off', false],
  ])('ALLOW_RUN_ALL=%s', (value, expected) => {
    const result = loadAccessConfig({ ALLOW_RUN_ALL: value });
    expect(result).toEqual({ ok: true, policy: { allowAll: expected } });
  });

  it('reports one line per bad item, naming the variable and never the value', () => {
    const result = loadAccessConfig({
      ALLOWED_CHANNELS: '#general,C0OPS',
      ALLOWED_USERS: '@alice',
      ALLOWED_USERGROUPS: 'U0ALICE',
      ALLOW_RUN_ALL: 'sometimes',
      ACCESS_CONTACT: 'line one\nline two',
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        'ALLOWED_CHANNELS is malformed: item 1 of 2 is not a channel ID (C…, G… or D…: the ID in the channel’s details, not its name)',
        'ALLOWED_USERS is malformed: item 1 of 1 is not a user ID (U… or W…: “Copy member ID” in the profile, not the name)',
        'ALLOWED_USERGROUPS is malformed: item 1 of 1 is not a user group ID (S…), not its @handle',
        'ALLOW_RUN_ALL is malformed: must be true or false',
        'ACCESS_CONTACT is malformed: must be one line of at most 200 characters',
      ],
    });
    const text = JSON.stringify(result);
    for (const value of ['#general', '@alice', 'sometimes', 'line one']) expect(text).not.toContain(value);
  });

  it('refuses a list that names nothing: unset is the way to allow everyone', () => {
    expect(loadAccessConfig({ ALLOWED_USERS: ' , ,' })).toEqual({
      ok: false,
      problems: ['ALLOWED_USERS is malformed: it names no ID; leave it unset to allow everyone'],
    });
  });

  it('refuses a contact longer than 200 characters', () => {
    expect(loadAccessConfig({ ACCESS_CONTACT: 'x'.repeat(201) })).toMatchObject({ ok: false });
    expect(loadAccessConfig({ ACCESS_CONTACT: 'x'.repeat(200) })).toMatchObject({ ok: true });
  });
});
