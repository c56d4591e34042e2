import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arnMatch, globMatch, type Pattern, plain } from '../../../src/policy/evaluate/wildcard.js';

/** The implementation before linear matching: one backtracking RegExp per pattern. */
function regexMatch(pattern: Pattern, value: string, ignoreCase = false): boolean {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  for (const piece of pattern) {
    if (piece.literal) source += esc(piece.text);
    else source += esc(piece.text).replace(/\\\*/g, '.*').replace(/\\\?/g, '.');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('evaluate/wildcard', () => {
  it('matches a pathological pattern without backtracking blow-up', () => {
    // 11 wildcards against a 40-character key took 51 s with the backtracking RegExp; this
    // pattern (16 wildcards, 60 characters) would take far longer than the test timeout.
    const pattern = plain(`${'*a'.repeat(16)}b`);
    const value = 'a'.repeat(60);
    assert.equal(globMatch(pattern, value), false);
    assert.equal(globMatch(pattern, value, true), false);
    assert.equal(arnMatch(plain(`arn:aws:s3:::${'*a'.repeat(16)}b`), `arn:aws:s3:::${value}`), false);
    assert.equal(globMatch(pattern, `${value}b`), true);
    const q = plain(`${'*?'.repeat(20)}x`);
    assert.equal(globMatch(q, 'y'.repeat(200)), false);
    assert.equal(globMatch(q, `${'y'.repeat(200)}x`), true);
  });

  it('keeps the semantics: * any run, ? one character, literal pieces, case, newlines', () => {
    assert.equal(globMatch(plain('a*'), 'a'), true);
    assert.equal(globMatch(plain('a?'), 'a'), false);
    assert.equal(globMatch(plain('a?c'), 'a\nc'), true);
    assert.equal(globMatch(plain('*'), ''), true);
    assert.equal(globMatch(plain(''), ''), true);
    assert.equal(globMatch(plain(''), 'a'), false);
    assert.equal(globMatch(plain('A*'), 'abc'), false);
    assert.equal(globMatch(plain('A*'), 'abc', true), true);
    assert.equal(globMatch(plain('Stra\u00dfe?'), 'STRASSE!', true), false);
    assert.equal(globMatch(plain('\u017f'), 's', true), false);
    const lit: Pattern = [
      { text: 'k/', literal: false },
      { text: '*?', literal: true },
      { text: '*', literal: false },
    ];
    assert.equal(globMatch(lit, 'k/*?tail'), true);
    assert.equal(globMatch(lit, 'k/ab'), false);
  });

  it('agrees with the RegExp implementation on random small cases', () => {
    const next = random(20261121);
    const pick = (s: string) => s[Math.floor(next() * s.length)] ?? '';
    const PATTERN = 'aAb*?\u00e9\u00c9\u017fs\n';
    const VALUE = 'aAb*?\u00e9\u00c9\u017fsS\n';
    let matches = 0;
    for (let n = 0; n < 20_000; n++) {
      const pattern: { text: string; literal: boolean }[] = [];
      const pieces = 1 + Math.floor(next() * 3);
      for (let p = 0; p < pieces; p++) {
        let text = '';
        const len = Math.floor(next() * 6);
        for (let i = 0; i < len; i++) text += pick(PATTERN);
        pattern.push({ text, literal: p > 0 && next() < 0.4 });
      }
      let value = '';
      if (next() < 0.5) {
        // a value made from the pattern, so that many cases match
        for (const piece of pattern) {
          for (const ch of piece.text) {
            if (piece.literal || (ch !== '*' && ch !== '?')) value += next() < 0.2 ? ch.toUpperCase() : ch;
            else if (ch === '?') value += pick(VALUE);
            else for (let i = Math.floor(next() * 3); i > 0; i--) value += pick(VALUE);
          }
        }
        if (next() < 0.2) value += pick(VALUE);
      } else {
        const len = Math.floor(next() * 8);
        for (let i = 0; i < len; i++) value += pick(VALUE);
      }
      const ignoreCase = next() < 0.5;
      const expected = regexMatch(pattern, value, ignoreCase);
      if (expected) matches++;
      assert.equal(
        globMatch(pattern, value, ignoreCase),
        expected,
        `${JSON.stringify(pattern)} ${JSON.stringify(value)} ignoreCase=${ignoreCase}`,
      );
    }
    assert.ok(matches > 3000, `only ${matches} matching cases`);
  });
});
