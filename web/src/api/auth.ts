// Endpoints of sign-in, session and the signed-in user's own account.
import type { ChangePasswordBody, LoginBody, LoginReply, Me } from '@shared/index';
import { http, refreshSession, request } from './client';

export interface OkReply {
  ok: true;
}

export const authApi = {
  login: (body: LoginBody) => request<LoginReply>('POST', '/auth/login', { body, skipRefresh: true }),
  // Shares the client's single in-flight refresh; resolves with the new token and user.
  refresh: () => refreshSession(),
  logout: () => request<OkReply>('POST', '/auth/logout', { skipRefresh: true }),
  me: () => http.get<Me>('/me'),
  changePassword: (body: ChangePasswordBody) => http.put<OkReply>('/me/password', body),
};
