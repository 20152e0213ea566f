// Connects the API client to the auth store and router: token supply, refresh results, session end.
import type { Router } from 'vue-router';
import { ElMessage } from 'element-plus';
import { bindSession } from '@/api/client';
import { i18n } from '@/i18n';
import { loginLocation } from '@/router';
import type { useAuthStore } from '@/stores/auth';

export function connectSession(router: Router, auth: ReturnType<typeof useAuthStore>): void {
  bindSession({
    getAccessToken: () => auth.accessToken,
    onRefreshed: (reply) => auth.applyLogin(reply),
    onSessionLost: () => {
      const wasSignedIn = auth.isAuthenticated;
      auth.clear();
      const current = router.currentRoute.value;
      if (current.meta.public) return;
      if (wasSignedIn) ElMessage.warning(i18n.global.t('login.sessionEnded'));
      void router.replace(loginLocation(current.fullPath));
    },
  });
}
