import { createRouter, createWebHistory } from 'vue-router'
import { hallSession, setUnauthenticatedHandler } from './api'
import HomePage from './pages/HomePage.vue'

// every page but 首页 loads when first opened: the first load stays small
export const router = createRouter({
  history: createWebHistory('/hall/'),
  routes: [
    { path: '/', component: HomePage, meta: { title: '服务大厅' } },
    { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { title: '登录', open: true } },
    { path: '/oauth', component: () => import('./pages/OAuthPage.vue'), meta: { title: '登录', open: true } },
    { path: '/phone', component: () => import('./pages/PhonePage.vue'), meta: { title: '绑定手机' } },
    { path: '/identity', component: () => import('./pages/IdentityPage.vue'), meta: { title: '实名认证' } },
    { path: '/join', component: () => import('./pages/JoinPage.vue'), meta: { title: '申请入会' } },
    { path: '/card', component: () => import('./pages/CardPage.vue'), meta: { title: '申请办卡' } },
    { path: '/insurance', component: () => import('./pages/InsurancePage.vue'), meta: { title: '个人参保' } },
    { path: '/messages', component: () => import('./pages/MessagesPage.vue'), meta: { title: '消息' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.open && !hallSession.token) return { path: '/login', query: { next: to.fullPath } }
})

router.afterEach((to) => {
  document.title = `${to.meta.title ?? '服务大厅'} · 工会会员服务卡`
})

setUnauthenticatedHandler(() => {
  hallSession.token = null
  const here = router.currentRoute.value
  if (!here.meta.open) router.replace({ path: '/login', query: { next: here.fullPath, expired: '1' } })
})
