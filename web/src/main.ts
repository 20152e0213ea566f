// Entry point: creates the app with pinia, the router, vue-i18n and Element Plus.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import App from './App.vue';
import { i18n } from './i18n';
import { router } from './router';
import { connectSession } from './session';
import { useAuthStore } from './stores/auth';
import { useLocaleStore } from './stores/locale';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
app.use(ElementPlus);

useLocaleStore(pinia);
connectSession(router, useAuthStore(pinia));

app.use(router);
app.mount('#app');
