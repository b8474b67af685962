// 会员专享保障 for the levels above grassroots (seed 002 §4) and 职保中心 (seed 001 §2):
// 保障金额设置, 集中参保审核, 即时参保审核, 参保批次管理 with its live monitor, and the
// centre's plans, campaign windows, batch confirmation and payouts.
import type { Feature } from './index'

const DISTRICT = ['区局(产业)工会']
const REVIEWERS = ['区局(产业)工会', '二级工会']
const CITY = ['市总工会']

const feature: Feature = {
  routes: [
    { path: 'insurance-review/split', name: 'insrev-split', component: () => import('../pages/insurance-review/SplitPage.vue'), meta: { title: '保障金额设置', permission: 'plan.split' } },
    { path: 'insurance-review/review', name: 'insrev-review', component: () => import('../pages/insurance-review/CollectiveReviewPage.vue'), meta: { title: '集中参保审核', permission: 'insurance.review' } },
    { path: 'insurance-review/instant-review', name: 'insrev-instant-review', component: () => import('../pages/insurance-review/InstantReviewPage.vue'), meta: { title: '即时参保审核', permission: 'insurance.review' } },
    { path: 'insurance-review/batches', name: 'insrev-batches', component: () => import('../pages/insurance-review/InsuranceBatchesPage.vue'), meta: { title: '参保批次管理', permission: 'insurance.read' } },
    { path: 'insurance-review/monitor', name: 'insrev-monitor', component: () => import('../pages/insurance-review/MonitorPage.vue'), meta: { title: '集中参保实时监控画面', permission: 'insurance.read' } },
    { path: 'insurance-review/plans', name: 'insrev-plans', component: () => import('../pages/insurance-review/PlansPage.vue'), meta: { title: '保障类型设置', permission: 'plan.manage' } },
    { path: 'insurance-review/campaigns', name: 'insrev-campaigns', component: () => import('../pages/insurance-review/CampaignsPage.vue'), meta: { title: '集中参保时间设置', permission: 'plan.manage' } },
    { path: 'insurance-review/confirm', name: 'insrev-confirm', component: () => import('../pages/insurance-review/ConfirmPage.vue'), meta: { title: '参保批次确认', permission: 'insurance.confirm' } },
    { path: 'insurance-review/payouts', name: 'insrev-payouts-manage', component: () => import('../pages/insurance-review/PayoutsPage.vue'), meta: { title: '给付信息管理', permission: 'payout.manage' } },
  ],
  menu: [
    { group: '会员专享保障', order: 50, title: '集中参保审核', path: '/insurance-review/review', permission: 'insurance.review', levels: REVIEWERS },
    { group: '会员专享保障', order: 55, title: '即时参保审核', path: '/insurance-review/instant-review', permission: 'insurance.review', levels: DISTRICT },
    { group: '会员专享保障', order: 60, title: '参保批次管理', path: '/insurance-review/batches', permission: 'insurance.review', levels: DISTRICT },
    { group: '会员专享保障', order: 65, title: '保障金额设置', path: '/insurance-review/split', permission: 'plan.split', levels: DISTRICT },
    { group: '会员专享保障', order: 70, title: '集中参保实时监控画面', path: '/insurance-review/monitor', permission: 'insurance.read', levels: [...DISTRICT, ...CITY] },
    { group: '会员专享保障', order: 80, title: '保障类型设置', path: '/insurance-review/plans', permission: 'plan.manage', levels: CITY, roles: ['center'] },
    { group: '会员专享保障', order: 85, title: '集中参保时间设置', path: '/insurance-review/campaigns', permission: 'plan.manage', levels: CITY, roles: ['center'] },
    { group: '会员专享保障', order: 90, title: '参保批次确认', path: '/insurance-review/confirm', permission: 'insurance.confirm', levels: CITY, roles: ['center'] },
    { group: '会员专享保障', order: 95, title: '给付信息管理', path: '/insurance-review/payouts', permission: 'payout.manage', levels: CITY, roles: ['center'] },
  ],
}

export default feature
