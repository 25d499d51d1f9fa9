import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, parseTtl, splitWords } from '../../src/chatops/command-grammar.js';

const words = (text: string) => {
  const r = splitWords(text);
  assert.ok('words' in r, JSON.stringify(r));
  return r.words.map((w) => w.value);
};

describe('splitting words (quotes, no shell)', () => {
  it('splits on white space, keeps quoted white space, joins adjacent pieces', () => {
    assert.deepEqual(words('  ps   aux '), ['ps', 'aux']);
    assert.deepEqual(words(`echo 'a  b' "c d" e\\ f`), ['echo', 'a  b', 'c d', 'e f']);
    assert.deepEqual(words(`a'b'"c"d`), ['abcd']);
    assert.deepEqual(words(`grep "say \\"hi\\"" 'it''s'`), ['grep', 'say "hi"', 'its']);
    assert.deepEqual(words(`printf '%s\\n' x`), ['printf', '%s\\n', 'x']);
    assert.deepEqual(words(`echo ''`), ['echo', '']);
  });

  it('does nothing a shell would: no variables, globs, pipes, redirections or command substitution', () => {
    assert.deepEqual(words('echo $HOME *.log | sh > /tmp/x; rm -rf / `id` $(id) &'), ['echo', '$HOME', '*.log', '|', 'sh', '>', '/tmp/x;', 'rm', '-rf', '/', '`id`', '$(id)', '&']);
  });

  it('says which quote is never closed', () => {
    assert.match((splitWords(`echo 'oops`) as { problem: string }).problem, /single quote before “oops” is never closed/);
    assert.match((splitWords(`echo "oops`) as { problem: string }).problem, /double quote before “oops” is never closed/);
  });
});

describe('the /debug grammar', () => {
  it('start a session: target, options, reason', () => {
    assert.deepEqual(parseCommand('app'), { kind: 'create', target: 'app' });
    assert.deepEqual(parseCommand('app --image docker.io/library/busybox:1.36 --ttl 15m --profile netadmin INC-42: checkout returns 500s'), {
      kind: 'create',
      target: 'app',
      image: 'docker.io/library/busybox:1.36',
      ttlSeconds: 900,
      profile: 'netadmin',
      reason: 'INC-42: checkout returns 500s',
    });
    assert.deepEqual(parseCommand('app --ttl=1h30m "quoted reason"  kept'), { kind: 'create', target: 'app', ttlSeconds: 5400, reason: 'quoted reason kept' });
    // A reason may mention options once it has started... but not the known ones, which are a mistake.
    assert.deepEqual(parseCommand('app the --verbose flag broke it'), { kind: 'create', target: 'app', reason: 'the --verbose flag broke it' });
  });

  it('run: a session or target, --, then argv as typed', () => {
    assert.deepEqual(parseCommand('run app -- ps aux'), { kind: 'run', ref: 'app', argv: ['ps', 'aux'] });
    assert.deepEqual(parseCommand(`run 0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11 -- sh -c 'echo "$$" > /dev/null'`), {
      kind: 'run',
      ref: '0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11',
      argv: ['sh', '-c', 'echo "$$" > /dev/null'],
    });
    // Only a bare -- separates; a quoted one is an argument, and later -- belong to the command.
    assert.deepEqual(parseCommand(`run app -- grep -- '--' file`), { kind: 'run', ref: 'app', argv: ['grep', '--', '--', 'file'] });
    assert.deepEqual(parseCommand('RUN app -- ls'), { kind: 'run', ref: 'app', argv: ['ls'] });
  });

  it('end, list, help', () => {
    assert.deepEqual(parseCommand('end app'), { kind: 'end', ref: 'app' });
    assert.deepEqual(parseCommand('list'), { kind: 'list' });
    assert.deepEqual(parseCommand('help'), { kind: 'help' });
    assert.deepEqual(parseCommand(''), { kind: 'help' });
    assert.deepEqual(parseCommand('   '), { kind: 'help' });
  });

  it('anything else answers with help and a plain sentence saying what was wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['run app ps', /Put -- between the session and the command, for example: \/debug run app -- ps aux\./],
      ['run app --', /Say what to run after --/],
      ['run', /Say where to run the command/],
      ['run -- ps', /Say where to run the command/],
      ['end', /Say which session to end/],
      ['end app web', /“end” takes one session id or target name/],
      ['list all', /“list” takes nothing after it/],
      ['app --ttl', /--ttl needs a value, such as --ttl 15m\./],
      ['app --ttl 15', /“15” is not a duration; give --ttl like 15m, 1h or 1h30m\./],
      ['app --ttl 0m', /is not a duration/],
      ['app --profile root', /There is no profile “root”; choose one of restricted, baseline, general, netadmin, sysadmin\./],
      ['app --privileged', /I don't know the option --privileged\. The options are --image REF, --ttl 15m and --profile NAME\./],
      ['app --ttl 5m --ttl 10m', /--ttl is given twice\./],
      ['app because --ttl 5m', /Put options before the reason: --ttl came after the reason started\./],
      ['app -- ps', /To run a command, use \/debug run app -- <command>\./],
      ['--ttl 5m app', /Start with the container to debug/],
      ['app;reboot', /“app;reboot” is not a container name or id\./],
      [`app 'unclosed`, /single quote before “unclosed” is never closed/],
    ];
    for (const [text, problem] of cases) {
      const parsed = parseCommand(text);
      assert.equal(parsed.kind, 'help', text);
      assert.match((parsed as { problem?: string }).problem ?? '', problem, text);
      assert.match((parsed as { problem: string }).problem, /[.]$/, `a sentence: ${text}`);
    }
  });

  it('--ttl durations', () => {
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('2h'), 7200);
    assert.equal(parseTtl('90s'), 90);
    assert.equal(parseTtl('1h30m'), 5400);
    for (const bad of ['15', 'm', '1d', '-5m', '1.5h', '', '15 m']) assert.equal(parseTtl(bad), null, bad);
  });
});
