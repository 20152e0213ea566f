// Endpoints of user administration (mill administrators and customer administrators).
import type { CreatedUser, CreateUserBody, PasswordResetReply, UpdateUserBody, User, UserListQuery, UserPage } from '@shared/index';
import { http } from './client';

export const usersApi = {
  list: (query: UserListQuery, signal?: AbortSignal) => http.get<UserPage>('/users', query, signal),
  // Without a password the user is invited: the reply carries a temporary password, shown once.
  create: (body: CreateUserBody) => http.post<CreatedUser>('/users', body),
  update: (id: number, body: UpdateUserBody) => http.patch<User>(`/users/${id}`, body),
  resetPassword: (id: number) => http.post<PasswordResetReply>(`/users/${id}/reset-password`),
};
