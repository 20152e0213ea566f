// Endpoints of user administration (mill administrators and customer administrators).
import type { CreateUserBody, UpdateUserBody, User, UserListQuery, UserPage } from '@shared/index';
import { http } from './client';

export const usersApi = {
  list: (query: UserListQuery, signal?: AbortSignal) => http.get<UserPage>('/users', query, signal),
  create: (body: CreateUserBody) => http.post<User>('/users', body),
  update: (id: number, body: UpdateUserBody) => http.patch<User>(`/users/${id}`, body),
};
