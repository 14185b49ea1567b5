// Make the calls the Togglr TypeScript SDK (togglr-sdk-typescript, not on npm) makes, through the
// client it is built on, against a running server; print what came back as JSON.
//
// tests/compat/test_typescript_sdk.py generates that client from spec/sdk-compat/togglr-sdk-v1.yaml
// with openapi-generator's `typescript-axios` generator (the SDK's own generator and options) and
// compiles this file with it, so `tsc` also checks these calls against the contract's types. The
// SDK's conventions followed here: `Configuration({basePath, apiKey})` (the raw key in
// Authorization), the evaluate body is the context object, track always sends `variant_key` (the
// value evaluate returned, "" for a disabled or excluded flag) and `context` (`{}` when empty), and
// an error is classified by its HTTP status.
//
// Usage: node ts_sdk_driver.js BASE_URL SDK_KEY
import { Configuration, DefaultApi, TrackRequest } from './generated';

type Outcome = { ok: unknown } | { status: number | null; body: unknown; message: string };

interface HttpFailure {
  message: string;
  response?: { status: number; data: unknown };
}

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (err) {
    const failure = err as HttpFailure;
    return {
      status: failure.response ? failure.response.status : null,
      body: failure.response ? failure.response.data : null,
      message: failure.message,
    };
  }
}

function client(basePath: string, apiKey: string): DefaultApi {
  return new DefaultApi(new Configuration({ basePath, apiKey }));
}

async function main(): Promise<void> {
  const [baseUrl, key] = process.argv.slice(2);
  const api = client(baseUrl, key);
  const context = { 'user.id': 'user-1' };
  const evaluate = (feature: string, ctx: Record<string, unknown> = context) =>
    outcome(async () => (await api.sdkV1FeaturesFeatureKeyEvaluatePost(feature, ctx)).data);
  const track = (feature: string, event: TrackRequest) =>
    outcome(async () => {
      const r = await api.trackFeatureEvent(feature, event);
      return { status: r.status, body: r.data };
    });

  const out: Record<string, unknown> = {};
  out.health_check = await outcome(async () => (await api.sdkV1HealthGet()).data);
  out.evaluate = {
    excluded: await evaluate('excluded'),
    excluded_blocked: await evaluate('excluded', { 'user.id': 'blocked' }),
    off_flag: await evaluate('off_flag'),
    ghost: await evaluate('ghost'),
  };

  // What an application does with the SDK: evaluate, then report the outcome for what it served.
  const served = (out.evaluate as Record<string, Outcome>).off_flag;
  const offVariant = 'ok' in served ? (served.ok as { value: string }).value : 'unreachable';
  out.track = {
    // "" is what evaluate answered for the disabled flag; the SDKs send it as it is
    disabled: await track('off_flag', { variant_key: offVariant, event_type: 'failure', context: {} }),
    excluded: await track('excluded', {
      variant_key: '',
      event_type: 'success',
      reward: 1,
      context: { 'user.id': 'blocked' },
    }),
    variant: await track('excluded', {
      variant_key: 'in',
      event_type: 'success',
      reward: 2.5,
      context: {},
      created_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)).toISOString(),
      dedup_key: 'ts-evt-1',
    }),
    unknown_variant: await track('excluded', {
      variant_key: 'nope',
      event_type: 'success',
      context: {},
    }),
  };

  const health = (feature: string) =>
    outcome(async () => (await api.getFeatureHealth(feature)).data);
  out.health_before = await health('dark_mode');
  out.report_error = await outcome(async () => {
    const r = await api.reportFeatureError('dark_mode', {
      error_type: 'timeout',
      error_message: 'upstream took 5s',
      context: { 'user.id': 'user-1' },
    });
    return { status: r.status, body: r.data };
  });
  out.health_after = await health('dark_mode');
  out.health_ghost = await health('ghost');

  const bad = client(baseUrl, '00000000-0000-0000-0000-000000000000');
  out.bad_key = {
    health_check: await outcome(async () => (await bad.sdkV1HealthGet()).data),
    evaluate: await outcome(async () => (await bad.sdkV1FeaturesFeatureKeyEvaluatePost('dark_mode', context)).data),
    track: await outcome(async () =>
      (await bad.trackFeatureEvent('excluded', { variant_key: '', event_type: 'success', context: {} })).data,
    ),
    report_error: await outcome(async () =>
      (await bad.reportFeatureError('dark_mode', { error_type: 't', error_message: 'm' })).data,
    ),
    health: await outcome(async () => (await bad.getFeatureHealth('dark_mode')).data),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
