// Resolve flags through the published JavaScript OFREP providers against a running server and
// print what the OpenFeature client returned, as JSON.
//
// Run by tests/compat/test_ofrep_js.py with NODE_PATH pointing at a directory holding
// @openfeature/ofrep-provider (server), @openfeature/ofrep-web-provider (browser) and their SDKs,
// installed from npm. Nothing here knows Togglr: it is what an application using OpenFeature does.
//
// Usage: node ofrep_js_driver.cjs BASE_URL SDK_KEY
'use strict';

const fs = require('fs');
const path = require('path');

const [baseUrl, sdkKey] = process.argv.slice(2);
const headers = [['X-API-Key', sdkKey]];

// [flag, default value]: the code defaults are chosen so that "the code default" is never what
// the server would serve for that flag.
const CASES = {
  off_flag_bool: ['off_flag', true],
  off_flag_string: ['off_flag', 'code-default'],
  dark_mode: ['dark_mode', false],
  limits: ['limits', 1],
  excluded: ['excluded', 'code-default'],
  missing: ['missing', 'code-default'],
};

function details(d) {
  return {
    value: d.value,
    reason: d.reason,
    variant: d.variant ?? null,
    errorCode: d.errorCode ?? null,
    errorMessage: d.errorMessage ?? null,
  };
}

// `context`: the server SDK's per-call evaluation context (the web SDK holds one globally).
async function get(client, defaultValue, key, context) {
  switch (typeof defaultValue) {
    case 'boolean':
      return client.getBooleanDetails(key, defaultValue, context);
    case 'number':
      return client.getNumberDetails(key, defaultValue, context);
    default:
      return client.getStringDetails(key, defaultValue, context);
  }
}

async function server() {
  const { OpenFeature } = require('@openfeature/server-sdk');
  const { OFREPProvider } = require('@openfeature/ofrep-provider');
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers }));
  const client = OpenFeature.getClient();
  const context = { targetingKey: 'user-1' };
  const blocked = { targetingKey: 'blocked' };
  const out = {};
  for (const [name, [key, def]] of Object.entries(CASES)) {
    out[name] = details(await get(client, def, key, name === 'excluded' ? blocked : context));
  }
  await OpenFeature.close();
  return out;
}

async function web() {
  const { OpenFeature } = require('@openfeature/web-sdk');
  const { OFREPWebProvider } = require('@openfeature/ofrep-web-provider');
  const provider = new OFREPWebProvider({
    baseUrl,
    headers,
    pollInterval: 0,
    changeDetection: 'none',
    cacheMode: 'disabled',
  });
  const out = {};
  // The web (static context) provider evaluates every flag in one bulk call per context.
  await OpenFeature.setProviderAndWait(provider, { targetingKey: 'user-1' });
  const client = OpenFeature.getClient();
  for (const [name, [key, def]] of Object.entries(CASES)) {
    if (name !== 'excluded') out[name] = details(await get(client, def, key));
  }
  await OpenFeature.setContext({ targetingKey: 'blocked' });
  out.excluded = details(await get(client, CASES.excluded[1], CASES.excluded[0]));
  await OpenFeature.close();
  return out;
}

async function main() {
  const versions = {};
  for (const pkg of [
    '@openfeature/ofrep-provider',
    '@openfeature/ofrep-web-provider',
    '@openfeature/server-sdk',
    '@openfeature/web-sdk',
  ]) {
    // read from disk: not every package exports its package.json
    const file = path.join(process.env.NODE_PATH, pkg, 'package.json');
    versions[pkg] = JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  // Each provider brings its own copy of ofrep-core (their version ranges do not overlap).
  const result = { versions, server: await server(), web: await web() };
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
