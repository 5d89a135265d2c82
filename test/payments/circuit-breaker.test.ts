/** The circuit breaker alone, on a clock the test moves, and the security credential encryption. */
import { constants, privateDecrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, createCircuitBreaker, type CircuitState } from '../../src/adapters/payments/circuit-breaker.ts';
import { encryptSecurityCredential, resolveSecurityCredential } from '../../src/adapters/payments/security-credential.ts';

const outage = new Error('outage');
const always = () => true;

function breaker(threshold = 3, openMs = 1_000) {
  const clock = { now: 0 };
  const changes: CircuitState[] = [];
  const b = createCircuitBreaker({ failureThreshold: threshold, openMs, now: () => clock.now, onStateChange: (s) => changes.push(s) });
  return { b, clock, changes };
}

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures and fails fast while open', async () => {
    const { b, changes } = breaker(3);
    for (let i = 0; i < 3; i++) await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    expect(b.state()).toBe('open');
    let called = false;
    await expect(
      b.run(async () => {
        called = true;
      }, always),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('a success in between resets the count', async () => {
    const { b } = breaker(2);
    await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    await b.run(async () => 1, always);
    await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    expect(b.state()).toBe('closed');
  });

  it('errors that do not count against the service leave it closed', async () => {
    const { b } = breaker(1);
    await expect(b.run(() => Promise.reject(new Error('customer busy')), () => false)).rejects.toThrow('customer busy');
    expect(b.state()).toBe('closed');
  });

  it('half-opens after the cool-down: one trial; success closes, failure re-opens', async () => {
    const { b, clock, changes } = breaker(1, 1_000);
    await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    clock.now += 999;
    expect(b.state()).toBe('open');
    clock.now += 1;
    expect(b.state()).toBe('half_open');

    // while the trial runs, others fail fast
    let release!: () => void;
    const trial = b.run(() => new Promise<void>((r) => (release = r)), always);
    await expect(b.run(async () => 1, always)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await trial;
    expect(b.state()).toBe('closed');

    await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    clock.now += 1_000;
    await expect(b.run(() => Promise.reject(outage), always)).rejects.toBe(outage);
    expect(b.state()).toBe('open');
    expect(changes).toEqual(['open', 'half_open', 'closed', 'open', 'half_open', 'open']);
  });
});

/**
 * Node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809), so the test decrypts raw and checks the v1.5 padding
 * itself: 0x00 0x02, at least eight non-zero random bytes, 0x00, then the message.
 */
function decryptPkcs1(key: string, base64: string): string {
  const block = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(base64, 'base64'));
  expect([block[0], block[1]]).toEqual([0x00, 0x02]);
  const end = block.indexOf(0x00, 2);
  expect(end).toBeGreaterThanOrEqual(10);
  return block.subarray(end + 1).toString('utf8');
}

describe('security credential', () => {
  const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
  const cert = readFileSync(`${dir}test-daraja-cert.pem`, 'utf8');
  const key = readFileSync(`${dir}test-daraja-key.pem`, 'utf8');

  it('is the initiator password encrypted with the certificate, PKCS#1 v1.5, base64', () => {
    const credential = encryptSecurityCredential('Safaricom999!*!', cert);
    expect(credential).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(credential).toHaveLength(344); // 2048-bit key
    expect(decryptPkcs1(key, credential)).toBe('Safaricom999!*!');
    // randomised padding: every encryption differs, every one decrypts
    expect(encryptSecurityCredential('Safaricom999!*!', cert)).not.toBe(credential);
  });

  it('uses a configured credential as is, or encrypts the password with the certificate file', () => {
    expect(resolveSecurityCredential({ securityCredential: 'given' })).toBe('given');
    const made = resolveSecurityCredential({ initiatorPassword: 'pw', certPath: `${dir}test-daraja-cert.pem` });
    expect(decryptPkcs1(key, made)).toBe('pw');
    expect(() => resolveSecurityCredential({ initiatorPassword: 'pw' })).toThrow(/MPESA_SECURITY_CREDENTIAL/);
  });
});
