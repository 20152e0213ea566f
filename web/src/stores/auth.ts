// Who is signed in: the current user and the access token (held in memory only, never in storage).
import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import { isCustomerRole, isStaffRole, type Role } from '@shared/roles';
import type { LoginReply, Me } from '@shared/index';
import { authApi } from '@/api/auth';
import { isApiError } from '@/api/client';

export const useAuthStore = defineStore('auth', () => {
  const me = ref<Me | null>(null);
  const accessToken = ref<string | null>(null);

  const isAuthenticated = computed(() => me.value !== null && accessToken.value !== null);
  const role = computed<Role | null>(() => me.value?.role ?? null);
  const isCustomer = computed(() => role.value !== null && isCustomerRole(role.value));
  const isStaff = computed(() => role.value !== null && isStaffRole(role.value));

  function hasRole(...roles: Role[]): boolean {
    return role.value !== null && roles.includes(role.value);
  }

  function hasAnyRole(roles: readonly Role[] | undefined): boolean {
    if (!roles) return true;
    return role.value !== null && roles.includes(role.value);
  }

  function applyLogin(reply: LoginReply): void {
    accessToken.value = reply.accessToken;
    me.value = reply.user;
  }

  function clear(): void {
    accessToken.value = null;
    me.value = null;
  }

  async function signIn(username: string, password: string): Promise<void> {
    applyLogin(await authApi.login({ username, password }));
  }

  async function signOut(): Promise<void> {
    try {
      await authApi.logout();
    } catch {
      // The session ends locally whatever the server says; its refresh cookie expires anyway.
    } finally {
      clear();
    }
  }

  async function reloadMe(): Promise<void> {
    me.value = await authApi.me();
  }

  // Restores a session after a page reload from the httpOnly refresh cookie; runs once.
  let restoring: Promise<void> | null = null;
  function restore(): Promise<void> {
    restoring ??= authApi.refresh().then(
      (reply) => applyLogin(reply),
      (error: unknown) => {
        clear();
        // 401 just means nobody is signed in; anything else is worth a trace.
        if (!isApiError(error) || error.status !== 401) console.warn('session restore failed', error);
      },
    );
    return restoring;
  }

  return {
    me,
    accessToken,
    isAuthenticated,
    role,
    isCustomer,
    isStaff,
    hasRole,
    hasAnyRole,
    applyLogin,
    clear,
    signIn,
    signOut,
    reloadMe,
    restore,
  };
});
