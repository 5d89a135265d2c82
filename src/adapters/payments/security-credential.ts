/**
 * The B2C / Transaction Status `SecurityCredential`: the initiator password encrypted with Safaricom's public
 * certificate (RSA, PKCS#1 v1.5 padding), base64. Safaricom publishes one certificate for the sandbox and one for
 * production; a credential made with the wrong one fails later, in the result callback, with code 2001.
 */
import { X509Certificate, constants, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** a certificate ("BEGIN CERTIFICATE") or a bare public key ("BEGIN PUBLIC KEY") in PEM */
export function publicKeyFromPem(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

export function encryptSecurityCredential(initiatorPassword: string, certPem: string): string {
  if (initiatorPassword === '') throw new Error('initiator password is empty');
  return publicEncrypt(
    { key: publicKeyFromPem(certPem), padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(initiatorPassword, 'utf8'),
  ).toString('base64');
}

/**
 * The credential to send: the configured one as is, or one made from the password and the certificate file.
 * Made once at start-up: PKCS#1 v1.5 is randomised, so each encryption differs but every one is valid.
 */
export function resolveSecurityCredential(opts: {
  securityCredential?: string;
  initiatorPassword?: string;
  certPath?: string;
}): string {
  if (opts.securityCredential) return opts.securityCredential;
  if (opts.initiatorPassword && opts.certPath) {
    return encryptSecurityCredential(opts.initiatorPassword, readFileSync(opts.certPath, 'utf8'));
  }
  throw new Error('set MPESA_SECURITY_CREDENTIAL, or MPESA_INITIATOR_PASSWORD and MPESA_CERT_PATH');
}
