// 年审 (seed 003) and 入会审核: the grassroots union's annual review wizard, the union above's
// review of it with the units not done yet, and the individuals' join applications.
import type { Feature } from './index'
import { ABOVE_GRASSROOTS } from '../menu'

const feature: Feature = {
  routes: [
    { path: 'reviews', name: 'reviews', component: () => import('../pages/reviews/ReviewPage.vue'), meta: { title: '年审', permission: 'member.write' } },
    { path: 'review-audit', name: 'review-audit', component: () => import('../pages/reviews/ReviewAuditPage.vue'), meta: { title: '年审审核', permission: 'member.review' } },
    { path: 'joins', name: 'joins', component: () => import('../pages/reviews/JoinsPage.vue'), meta: { title: '入会审核', permission: 'member.read' } },
  ],
  menu: [
    { group: '年审管理', order: 10, title: '年审', path: '/reviews', permission: 'member.write', levels: ['基层工会'] },
    { group: '年审管理', order: 20, title: '年审审核', path: '/review-audit', permission: 'member.review', levels: ABOVE_GRASSROOTS },
    { group: '会员管理', order: 30, title: '入会审核', path: '/joins', permission: 'member.read' },
  ],
}

export default feature
