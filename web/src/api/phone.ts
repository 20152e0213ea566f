// Endpoints of the signed-in user's own mobile phone: change it, get a code by SMS, verify it.
import type { ChangeMyPhoneBody, Me, PhoneCodeSent, VerifyPhoneBody } from '@shared/index';
import { http } from './client';

export const phoneApi = {
  change: (body: ChangeMyPhoneBody) => http.put<Me>('/me/phone', body),
  sendCode: () => http.post<PhoneCodeSent>('/me/phone/verification'),
  verify: (body: VerifyPhoneBody) => http.post<Me>('/me/phone/verify', body),
};
