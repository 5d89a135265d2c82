/**
 * Daraja's wire shapes as tests need them (docs: /work/shared/reference/daraja.md): sync replies, error envelopes,
 * and the callbacks Safaricom posts to us.
 */
import { randomBytes } from 'node:crypto';

export const DARAJA = 'https://sandbox.safaricom.co.ke';

export function id(prefix: string): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

export function mpesaReceipt(): string {
  return `S${randomBytes(5).toString('hex').toUpperCase().slice(0, 9)}`;
}

export function envelope(errorCode: string, errorMessage = 'error') {
  return { requestId: id('req-'), errorCode, errorMessage };
}

export function stkAccepted(checkoutRequestId = id('ws_CO_'), merchantRequestId = id('29115-')) {
  return {
    MerchantRequestID: merchantRequestId,
    CheckoutRequestID: checkoutRequestId,
    ResponseCode: '0',
    ResponseDescription: 'Success. Request accepted for processing',
    CustomerMessage: 'Success. Request accepted for processing',
  };
}

export function stkSuccess(o: {
  checkout: string;
  amount: number;
  phone: string | number;
  receipt?: string;
  merchant?: string;
  /** items in another order, or with extras, like real callbacks */
  shuffle?: boolean;
}) {
  const items: { Name: string; Value?: unknown }[] = [
    { Name: 'Amount', Value: o.amount },
    { Name: 'MpesaReceiptNumber', Value: o.receipt ?? mpesaReceipt() },
    { Name: 'Balance' },
    { Name: 'TransactionDate', Value: 20261125150102 },
    { Name: 'PhoneNumber', Value: typeof o.phone === 'string' && /^\d+$/.test(o.phone) ? Number(o.phone) : o.phone },
  ];
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: o.merchant ?? '29115-34620561-1',
        CheckoutRequestID: o.checkout,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        CallbackMetadata: { Item: o.shuffle ? items.reverse() : items },
      },
    },
  };
}

export function stkFailure(checkout: string, code: number | string, desc = 'Request cancelled by user') {
  return {
    Body: {
      stkCallback: { MerchantRequestID: '29115-34620561-1', CheckoutRequestID: checkout, ResultCode: code, ResultDesc: desc },
    },
  };
}

export function conversationAccepted(originator: string, conversation = id('AG_20261125_')) {
  return {
    ConversationID: conversation,
    OriginatorConversationID: originator,
    ResponseCode: '0',
    ResponseDescription: 'Accept the service request successfully.',
  };
}

type Kv = { Key: string; Value?: unknown };

export function b2cSuccess(o: { originator: string; conversation?: string; receipt: string; amount: number; single?: boolean }) {
  const params: Kv[] = [
    { Key: 'TransactionAmount', Value: o.amount },
    { Key: 'TransactionReceipt', Value: o.receipt },
    { Key: 'ReceiverPartyPublicName', Value: '254705912645 - JOHN DOE' },
    { Key: 'TransactionCompletedDateTime', Value: '25.11.2026 15:48:52' },
    { Key: 'B2CUtilityAccountAvailableFunds', Value: 8959269.6 },
    { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
  ];
  return {
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: 'The service request is processed successfully.',
      OriginatorConversationID: o.originator,
      ConversationID: o.conversation ?? id('AG_'),
      TransactionID: o.receipt,
      ResultParameters: { ResultParameter: o.single ? params[1]! : params },
      ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit' } },
    },
  };
}

export function b2cFailure(o: { originator: string; code: number | string; desc: string; conversation?: string }) {
  return {
    Result: {
      ResultType: 0,
      ResultCode: o.code,
      ResultDesc: o.desc,
      OriginatorConversationID: o.originator,
      ConversationID: o.conversation ?? id('AG_'),
      TransactionID: id('SG').toUpperCase(),
      ReferenceData: { ReferenceItem: [{ Key: 'QueueTimeoutURL', Value: 'https://example.invalid' }] },
    },
  };
}

export function b2cTimeout(originator: string, conversation = id('AG_')) {
  return {
    Result: {
      ResultType: 1,
      ResultCode: 'SVC0001',
      ResultDesc: 'The request timed out in the queue.',
      OriginatorConversationID: originator,
      ConversationID: conversation,
    },
  };
}

export function statusResult(o: {
  conversation: string;
  originator: string;
  status: string;
  receipt?: string;
  amount?: number;
  occasion?: string;
  code?: number | string;
}) {
  return {
    Result: {
      ResultType: 0,
      ResultCode: o.code ?? 0,
      ResultDesc: 'The service request is processed successfully.',
      OriginatorConversationID: o.originator,
      ConversationID: o.conversation,
      TransactionID: o.receipt ?? id('X'),
      ResultParameters: {
        ResultParameter: [
          { Key: 'DebitPartyName', Value: '600000 - Safaricom333' },
          { Key: 'TransactionStatus', Value: o.status },
          { Key: 'ReceiptNo', Value: o.receipt ?? '' },
          { Key: 'Amount', Value: o.amount ?? 95 },
          { Key: 'ReasonType', Value: 'Business Payment to Customer via API' },
        ],
      },
      ReferenceData: { ReferenceItem: { Key: 'Occasion', Value: o.occasion ?? '' } },
    },
  };
}

export function c2bPayment(o: { transId?: string; amount: string; billRef: string; msisdn?: string }) {
  return {
    TransactionType: 'Pay Bill',
    TransID: o.transId ?? mpesaReceipt(),
    TransTime: '20261125063845',
    TransAmount: o.amount,
    BusinessShortCode: '600638',
    BillRefNumber: o.billRef,
    InvoiceNumber: '',
    OrgAccountBalance: '',
    ThirdPartyTransID: '',
    MSISDN: o.msisdn ?? '25470****149',
    FirstName: 'John',
    MiddleName: '',
    LastName: 'Doe',
  };
}
