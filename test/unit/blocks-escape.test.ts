import { codeSpan, escapeMrkdwn, escapeTruncated, isWebUrl, link, mentionUser, oneLine } from '../../src/blocks/escape';
import { truncate } from '../../src/shared/truncate';

describe('escapeMrkdwn', () => {
  it('escapes the three characters Slack gives a meaning', () => {
    expect(escapeMrkdwn('<!channel> & <@U123> > x')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; x');
  });
  it('escapes an already escaped entity again, so it shows as typed', () => {
    expect(escapeMrkdwn('&amp;')).toBe('&amp;amp;');
  });
  it('leaves other mrkdwn characters alone', () => {
    expect(escapeMrkdwn('*bold* _it_ `code` | ~x~')).toBe('*bold* _it_ `code` | ~x~');
  });
});

describe('truncate', () => {
  it('returns short strings as they are', () => {
    expect(truncate('abc', 3)).toBe('abc');
  });
  it('cuts and ends with an ellipsis, within max', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
  });
  it('never cuts a surrogate pair', () => {
    // '😀' is two UTF-16 units: keeping half of it would leave a lone surrogate.
    const out = truncate('a😀😀', 3);
    expect(out).toBe('a…');
    expect(out.length).toBeLessThanOrEqual(3);
    const out2 = truncate('a😀😀', 4);
    expect(out2).toBe('a😀…');
  });
  it('handles tiny limits', () => {
    expect(truncate('abc', 1)).toBe('…');
    expect(truncate('abc', 0)).toBe('');
  });
});

describe('escapeTruncated', () => {
  it('keeps the escaped length within max without cutting an entity', () => {
    const out = escapeTruncated('a&&&&', 10);
    expect(out).toBe('a&amp;…');
    expect(out.length).toBeLessThanOrEqual(10);
  });
  it('does not cut when the escaped text fits', () => {
    expect(escapeTruncated('<b>', 9)).toBe('&lt;b&gt;');
  });
});

describe('oneLine', () => {
  it('collapses newlines so outside text cannot start a quote or a new row', () => {
    expect(oneLine('  a\n> b\t c  ')).toBe('a > b c');
  });
});

describe('codeSpan', () => {
  it('escapes and replaces backticks, which would end the span', () => {
    expect(codeSpan('a`b <x>', 100)).toBe('`aˋb &lt;x&gt;`');
  });
  it('stays within max, backticks included', () => {
    const out = codeSpan('x'.repeat(50), 10);
    expect(out).toBe('`xxxxxxx…`');
    expect(out.length).toBe(10);
  });
});

describe('link', () => {
  it('builds <url|label> with the label escaped', () => {
    expect(link('https://x.io/a', '<!channel> & co')).toBe('<https://x.io/a|&lt;!channel&gt; &amp; co>');
  });
  it('encodes | < > in the URL and writes & as &amp;', () => {
    expect(link('https://x.io/a?b=1&c=2|evil>', 'n')).toBe('<https://x.io/a?b=1&amp;c=2%7Cevil%3E|n>');
  });
  it('shows only the label for a URL that is not http(s)', () => {
    expect(link('javascript:alert(1)', 'n<')).toBe('n&lt;');
  });
  it('shows only the label for a URL too long to carry', () => {
    expect(link(`https://x.io/${'a'.repeat(2000)}`, 'name')).toBe('name');
  });
  it('truncates the label', () => {
    expect(link('https://x.io', 'abcdef', 4)).toBe('<https://x.io|abc…>');
  });
});

describe('isWebUrl', () => {
  it('accepts http(s) only, without spaces', () => {
    expect([isWebUrl('https://a.b'), isWebUrl('http://a'), isWebUrl('ftp://a'), isWebUrl('https://a b')]).toEqual([true, true, false, false]);
  });
});

describe('mentionUser', () => {
  it('mentions a Slack user id', () => {
    expect(mentionUser('U123ABC')).toBe('<@U123ABC>');
    expect(mentionUser('W0ABC12')).toBe('<@W0ABC12>');
  });
  it('escapes anything else instead of mentioning it', () => {
    expect(mentionUser('<!channel>')).toBe('&lt;!channel&gt;');
  });
});
