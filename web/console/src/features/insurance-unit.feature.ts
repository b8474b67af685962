// 会员专享保障 for the grassroots union (seed 002 §3): its two collective channels, and the
// three query screens every level has (each answers the account's own scope).
import type { Feature } from './index'

const UNIT = ['基层工会']

const feature: Feature = {
  routes: [
    { path: 'insurance/card', name: 'insurance-card', component: () => import('../pages/insurance/CardEnrolmentPage.vue'), meta: { title: '会员卡参保信息管理', permission: 'insurance.enrol' } },
    { path: 'insurance/social', name: 'insurance-social', component: () => import('../pages/insurance/SocialEnrolmentPage.vue'), meta: { title: '社保卡参保信息管理', permission: 'insurance.enrol' } },
    { path: 'insurance/enrolments', name: 'insurance-enrolments', component: () => import('../pages/insurance/EnrolmentQueryPage.vue'), meta: { title: '参保信息查询', permission: 'insurance.read' } },
    { path: 'insurance/coverage', name: 'insurance-coverage', component: () => import('../pages/insurance/CoverageQueryPage.vue'), meta: { title: '保障信息查询', permission: 'insurance.read' } },
    { path: 'insurance/payouts', name: 'insurance-payouts', component: () => import('../pages/insurance/PayoutQueryPage.vue'), meta: { title: '给付信息查询', permission: 'insurance.read' } },
  ],
  menu: [
    { group: '会员专享保障', order: 10, title: '会员卡参保信息管理', path: '/insurance/card', permission: 'insurance.enrol', levels: UNIT },
    { group: '会员专享保障', order: 15, title: '社保卡参保信息管理', path: '/insurance/social', permission: 'insurance.enrol', levels: UNIT },
    { group: '会员专享保障', order: 40, title: '参保信息查询', path: '/insurance/enrolments', permission: 'insurance.read' },
    { group: '会员专享保障', order: 44, title: '保障信息查询', path: '/insurance/coverage', permission: 'insurance.read' },
    { group: '会员专享保障', order: 48, title: '给付信息查询', path: '/insurance/payouts', permission: 'insurance.read' },
  ],
}

export default feature
