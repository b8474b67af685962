import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { setUnauthenticatedHandler } from '@api/client'
import { loadMe, signedOut, state, can } from './session'
import Shell from './layout/Shell.vue'
import { FEATURES } from './features'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true, title: '登录' } },
  { path: '/password', name: 'password', component: () => import('./pages/PasswordPage.vue'), meta: { title: '修改密码' } },
  {
    path: '/',
    component: Shell,
    children: [
      { path: '', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { title: '首页' } },
      { path: 'members', name: 'members', component: () => import('./pages/MembersPage.vue'), meta: { title: '会员信息', permission: 'member.read' } },
      { path: 'imports', name: 'imports', component: () => import('./pages/ImportPage.vue'), meta: { title: '会员导入', permission: 'member.import' } },
      { path: 'cards', name: 'cards', component: () => import('./pages/CardsPage.vue'), meta: { title: '卡片信息管理', permission: 'member.read' } },
      { path: 'batches', name: 'batches', component: () => import('./pages/BatchesPage.vue'), meta: { title: '办卡批次管理', permission: 'member.read' } },
      { path: 'pending', name: 'pending', component: () => import('./pages/PendingPage.vue'), meta: { title: '待办会员列表', permission: 'member.read' } },
      { path: 'audit', name: 'audit', component: () => import('./pages/AuditPage.vue'), meta: { title: '操作日志', permission: 'audit.read' } },
      { path: 'accounts', name: 'accounts', component: () => import('./pages/AccountsPage.vue'), meta: { title: '账号管理', permission: 'account.manage' } },
      { path: 'orgs', name: 'orgs', component: () => import('./pages/OrgsPage.vue'), meta: { title: '组织管理', permission: 'org.read' } },
      ...FEATURES.flatMap((f) => f.routes),
      { path: ':rest(.*)*', name: 'missing', component: () => import('./pages/MissingPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const me = await loadMe()
  if (!me) return { name: 'login', query: { redirect: to.fullPath } }
  if (me.must_change_password && to.name !== 'password') return { name: 'password', query: { redirect: to.fullPath } }
  const permission = to.meta.permission as string | undefined
  if (permission && !can(permission)) return { name: 'home' }
  return true
})

router.afterEach((to) => {
  document.title = `${(to.meta.title as string) || '管理控制台'} - 工会会员服务卡`
})

// An expired or revoked session: back to 登录, then to where the clerk was.
setUnauthenticatedHandler(() => {
  const current = router.currentRoute.value
  if (current.meta.public) return
  const hadSession = state.me !== null
  signedOut()
  router.replace({ name: 'login', query: { redirect: current.fullPath, ...(hadSession ? { expired: '1' } : {}) } })
})
