// 会员服务卡管理 → 撤销办卡批次审核, for the union above the units (市总, 区局, 二级): the
// revocation requests of the units below, approved or rejected with a reason.
import type { Feature } from './index'

const feature: Feature = {
  routes: [
    {
      path: 'revocations',
      name: 'revocations',
      component: () => import('../pages/RevocationsPage.vue'),
      meta: { title: '撤销办卡批次审核', permission: 'member.review' },
    },
  ],
  menu: [
    {
      group: '会员服务卡管理',
      order: 40,
      title: '撤销办卡批次审核',
      path: '/revocations',
      permission: 'member.review',
      // the levels above 基层工会 (menu.ts's ABOVE_GRASSROOTS; not imported: menu.ts imports the features)
      levels: ['市总工会', '区局(产业)工会', '二级工会'],
    },
  ],
}

export default feature
