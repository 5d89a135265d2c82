/**
 * Aggregator-neutral USSD shapes. Each aggregator adapter maps its wire format to `UssdRequest` and `UssdReply` to
 * its wire format; the session and menu layers only ever see these.
 */

export interface UssdRequest {
  /** which adapter produced it, e.g. 'africastalking' */
  aggregator: string;
  sessionId: string;
  /** the dialled service code, e.g. '*290*290#' */
  serviceCode: string;
  /** normalised MSISDN 2547XXXXXXXX / 2541XXXXXXXX (no '+') */
  phone: string;
  /** network code as received, e.g. '63902'; '' when the aggregator did not send one */
  network: string;
  /** inputs of the whole session so far, in order (AT sends them joined by '*'); [] on the first hop */
  inputs: string[];
  /** raw text as received, for the hop log */
  rawText: string;
}

/** `CON` keeps the session open and waits for input; `END` shows the screen and closes the session. */
export interface UssdReply {
  kind: 'CON' | 'END';
  screen: string;
}
