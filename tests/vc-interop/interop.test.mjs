// conferral's verifiable credentials against Digital Bazaar's: @digitalbazaar/vc with the
// eddsa-rdfc-2022 cryptosuite verifies what conferral signs, conferral verifies what they
// sign, and both reject the same tampered documents. Run by `make vc-interop`:
//
//   CONFERRAL_VC_INTEROP=target/debug/vc_interop node --test tests/vc-interop/
//
// Every JSON-LD context comes from core/src/credential/contexts/, the files conferral
// bundles; the loader refuses any other URL, so nothing is fetched.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus, createCredential, createList} from '@digitalbazaar/vc-bitstring-status-list';

const here = dirname(fileURLToPath(import.meta.url));
const contextsDir = join(here, '..', '..', 'core', 'src', 'credential', 'contexts');
const BUNDLED = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
};
const bin = process.env.CONFERRAL_VC_INTEROP;
if(!bin) {
  throw new Error('set CONFERRAL_VC_INTEROP to the vc_interop binary (make vc-interop does)');
}

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

// Status list credentials by URL, as a host would serve them.
const statusLists = new Map();

async function documentLoader(url) {
  if(BUNDLED[url]) {
    const document = JSON.parse(readFileSync(join(contextsDir, BUNDLED[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
  }
  if(statusLists.has(url)) {
    return {contextUrl: null, documentUrl: url, document: statusLists.get(url)};
  }
  throw new Error(`the document loader refuses ${url}: not bundled`);
}

const suite = () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function dbVerify(credential, now) {
  const result = await vc.verifyCredential({
    credential, suite: suite(), documentLoader, now: new Date(now),
    checkStatus: options => checkStatus({...options, suite: suite()}),
  });
  const status = result.statusResult?.results?.[0]?.status;
  return {verified: result.verified, revoked: status === true, error: result.error};
}

function rustVerify(files, {now, statusList} = {}) {
  const args = ['verify', '--now', now];
  if(statusList) {
    args.push('--status-list', statusList);
  }
  return JSON.parse(execFileSync(bin, [...args, ...files], {encoding: 'utf8'}));
}

const read = file => JSON.parse(readFileSync(file, 'utf8'));
const clone = value => structuredClone(value);

// The changes a verifier must notice: each returns a tampered copy.
const TAMPERINGS = {
  'a changed name': d => {
    d.name = `${d.name} (forged)`;
  },
  'a changed recipient': d => {
    d.credentialSubject.identifier[0].identityHash = `sha256$${'0'.repeat(64)}`;
  },
  'a changed date': d => {
    d.validFrom = '2020-01-01T00:00:00Z';
  },
  'another key': d => {
    const other = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
    d.proof.verificationMethod = `${other}#${other.slice(8)}`;
  },
  'another issuer': d => {
    d.issuer.id = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  },
  'an added undefined property': d => {
    d.nickname = 'Ace';
  },
  'an added defined property': d => {
    d.description = 'An extra claim nobody signed.';
  },
  'an altered proof value': d => {
    const v = d.proof.proofValue;
    const last = v.at(-1) === 'A' ? 'B' : 'A';
    d.proof.proofValue = v.slice(0, -1) + last;
  },
  'an altered proof date': d => {
    d.proof.created = '2026-03-02T11:00:01Z';
  },
};

function writeTampered(dir, name, document) {
  mkdirSync(dir, {recursive: true});
  return Object.entries(TAMPERINGS).map(([what, change]) => {
    const tampered = clone(document);
    change(tampered);
    const file = join(dir, `${name}-${what.replaceAll(' ', '-')}.json`);
    writeFileSync(file, JSON.stringify(tampered, null, 2));
    return {what, file, tampered};
  });
}

let dir;
let facts;
let now;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'conferral-vc-interop-'));
  execFileSync(bin, ['write', join(dir, 'rust')]);
  facts = read(join(dir, 'rust', 'facts.json'));
  now = facts.now;
  statusLists.set(facts.listUrl, read(join(dir, 'rust', 'status-list.json')));
});

after(() => {
  if(!process.env.KEEP_VC_INTEROP) {
    rmSync(dir, {recursive: true, force: true});
  }
});

describe('credentials conferral signed', () => {
  for(const name of ['credential.json', 'plain.json', 'revoked.json', 'status-list.json']) {
    test(`Digital Bazaar verifies ${name}`, async () => {
      const result = await dbVerify(read(join(dir, 'rust', name)), now);
      assert.equal(result.verified, true, result.error?.stack ?? String(result.error));
      assert.equal(result.revoked, name === 'revoked.json');
    });
  }

  test('the hashed email is SHA-256 of the lowercased address and the salt', () => {
    for(const [name, {email, salt}] of Object.entries(facts.recipients)) {
      const credential = read(join(dir, 'rust', name));
      const [identity] = credential.credentialSubject.identifier;
      const hex = createHash('sha256').update(email.trim().toLowerCase() + salt, 'utf8').digest('hex');
      assert.equal(identity.identityHash, `sha256$${hex}`, name);
      assert.equal(identity.salt, salt, name);
      assert.equal(identity.hashed, true, name);
    }
  });

  test('the status list holds at least 131,072 entries and has the revoked bit', async () => {
    const {decodeList} = await import('@digitalbazaar/vc-bitstring-status-list');
    const list = await decodeList({encodedList: statusLists.get(facts.listUrl).credentialSubject.encodedList});
    assert.ok(list.length >= 131072, `${list.length} entries`);
    assert.equal(list.getStatus(7), true);
    assert.equal(list.getStatus(3), false);
  });

  test('conferral itself verifies them, the revoked one failing its status', () => {
    const files = ['credential.json', 'plain.json', 'revoked.json'].map(f => join(dir, 'rust', f));
    const reports = rustVerify(files, {now, statusList: join(dir, 'rust', 'status-list.json')});
    assert.deepEqual(reports.map(r => r.valid), [true, true, false]);
    const status = reports[2].checks.find(c => c.check === 'status');
    assert.equal(status.outcome, 'failed');
    assert.match(status.reason, /^revoked/);
  });

  for(const what of Object.keys(TAMPERINGS)) {
    test(`both reject it with ${what}`, async () => {
      const original = read(join(dir, 'rust', 'credential.json'));
      const {file, tampered} = writeTampered(join(dir, 'tampered'), 'rust', original)
        .find(t => t.what === what);
      const db = await dbVerify(tampered, now);
      assert.equal(db.verified, false, `Digital Bazaar accepted ${what}`);
      const [ours] = rustVerify([file], {now, statusList: join(dir, 'rust', 'status-list.json')});
      assert.equal(ours.valid, false, `conferral accepted ${what}`);
    });
  }
});

describe('credentials the issuer exported (import, publish, revoke, export, status list)', () => {
  let issued;
  let exported;
  before(() => {
    issued = join(dir, 'issued');
    execFileSync(bin, ['issue', issued]);
    exported = read(join(issued, 'facts.json'));
    statusLists.set(exported.listUrl, read(join(issued, 'status-list.json')));
  });

  test('Digital Bazaar verifies each, and finds the revoked one revoked', async () => {
    const names = Object.keys(exported.recipients);
    assert.equal(names.length, 3);
    for(const name of names) {
      const credential = read(join(issued, name));
      assert.equal(credential.credentialStatus.statusListCredential, exported.listUrl);
      const result = await dbVerify(credential, exported.now);
      assert.equal(result.verified, true, result.error?.stack ?? String(result.error));
      assert.equal(result.revoked, name === exported.revoked, name);
    }
  });

  test('each has its own salt, and its hash is of its recipient', () => {
    const salts = new Set();
    for(const [name, {email, salt}] of Object.entries(exported.recipients)) {
      const [identity] = read(join(issued, name)).credentialSubject.identifier;
      const hex = createHash('sha256').update(email.trim().toLowerCase() + salt, 'utf8').digest('hex');
      assert.equal(identity.identityHash, `sha256$${hex}`, name);
      salts.add(salt);
    }
    assert.equal(salts.size, 3);
  });

  test('conferral verifies them the same way', () => {
    const names = Object.keys(exported.recipients);
    const reports = rustVerify(names.map(n => join(issued, n)),
      {now: exported.now, statusList: join(issued, 'status-list.json')});
    assert.deepEqual(reports.map(r => r.valid), names.map(n => n !== exported.revoked));
  });
});

describe('credentials Digital Bazaar signed', () => {
  let signed;
  let listFile;

  before(async () => {
    const keyPair = await Ed25519Multikey.generate({seed: new Uint8Array(32).fill(9)});
    const issuer = `did:key:${keyPair.publicKeyMultibase}`;
    keyPair.controller = issuer;
    keyPair.id = `${issuer}#${keyPair.publicKeyMultibase}`;
    const signingSuite = () => new DataIntegrityProof({
      signer: keyPair.signer(), cryptosuite: eddsaRdfc2022, date: '2026-03-02T11:00:00Z',
    });
    const listUrl = 'https://issuer.example.net/status/7';
    const list = await createList({length: 131072});
    list.setStatus(41, true);
    const listCredential = await createCredential({id: listUrl, list, statusPurpose: 'revocation'});
    listCredential.issuer = issuer;
    const signedList = await vc.issue({
      credential: listCredential, suite: signingSuite(), documentLoader, now: new Date(now),
    });
    statusLists.set(listUrl, signedList);
    mkdirSync(join(dir, 'node'), {recursive: true});
    listFile = join(dir, 'node', 'status-list.json');
    writeFileSync(listFile, JSON.stringify(signedList, null, 2));

    // An Open Badges credential as another issuer would write it, with the same extension
    // conferral uses for attributes.
    const attributes = JSON.parse(readFileSync(join(dir, 'rust', 'credential.json'), 'utf8'))['@context'][2];
    const salt = 'pepper';
    const hash = createHash('sha256').update('eve@example.com' + salt).digest('hex');
    const credentials = {
      'credential.json': {
        '@context': [
          'https://www.w3.org/ns/credentials/v2',
          'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
          attributes,
        ],
        id: 'https://issuer.example.net/credentials/1',
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Night Sky Photography',
        issuer: {id: issuer, type: ['Profile'], name: 'Observatory School'},
        validFrom: '2026-03-01T00:00:00Z',
        validUntil: '2027-03-01T00:00:00Z',
        credentialSubject: {
          type: ['AchievementSubject'],
          identifier: [{
            type: 'IdentityObject', identityHash: `sha256$${hash}`, identityType: 'emailAddress',
            hashed: true, salt,
          }],
          creditsEarned: 2,
          achievement: {
            id: 'urn:uuid:2f1b7a52-6a0c-4b0e-9d3c-7e4f1a2b3c4d',
            type: ['Achievement'],
            name: 'Night Sky Photography',
            description: 'Long exposures "in the field".',
            criteria: {narrative: 'Three nights\tout, one portfolio.'},
          },
        },
        additionalProperty: [{type: 'PropertyValue', propertyID: 'site', name: 'Site', value: 'Pic du Midi'}],
        credentialStatus: {
          id: `${listUrl}#40`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation',
          statusListIndex: '40', statusListCredential: listUrl,
        },
      },
    };
    credentials['revoked.json'] = clone(credentials['credential.json']);
    credentials['revoked.json'].id = 'https://issuer.example.net/credentials/2';
    credentials['revoked.json'].credentialStatus.statusListIndex = '41';
    credentials['revoked.json'].credentialStatus.id = `${listUrl}#41`;
    signed = {};
    for(const [name, credential] of Object.entries(credentials)) {
      signed[name] = await vc.issue({credential, suite: signingSuite(), documentLoader, now: new Date(now)});
      writeFileSync(join(dir, 'node', name), JSON.stringify(signed[name], null, 2));
    }
  });

  test('Digital Bazaar verifies its own credentials (a sanity check of the setup)', async () => {
    assert.equal((await dbVerify(signed['credential.json'], now)).verified, true);
    const revoked = await dbVerify(signed['revoked.json'], now);
    assert.equal(revoked.revoked, true);
  });

  test('conferral verifies them and reads their status list', () => {
    const files = ['credential.json', 'revoked.json', 'status-list.json'].map(f => join(dir, 'node', f));
    const reports = rustVerify(files, {now, statusList: listFile});
    const failures = reports.map(r => r.checks?.filter(c => c.outcome === 'failed'));
    assert.equal(reports[0].valid, true, JSON.stringify(failures[0]));
    assert.equal(reports[2].valid, true, JSON.stringify(failures[2]));
    assert.equal(reports[1].valid, false);
    assert.deepEqual(failures[1].map(c => c.check), ['status']);
  });

  for(const what of Object.keys(TAMPERINGS)) {
    test(`both reject it with ${what}`, async () => {
      const {file, tampered} = writeTampered(join(dir, 'tampered'), 'node', signed['credential.json'])
        .find(t => t.what === what);
      assert.equal((await dbVerify(tampered, now)).verified, false, `Digital Bazaar accepted ${what}`);
      const [ours] = rustVerify([file], {now, statusList: listFile});
      assert.equal(ours.valid, false, `conferral accepted ${what}`);
    });
  }
});
