// The H5's pages under /h5/ (the server answers every /h5/ path with the H5's index.html).
import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory('/h5/'),
  routes: [
    { path: '/', component: () => import('./views/Home.vue'), meta: { tab: 'home', heading: '积分商城' } },
    { path: '/categories', component: () => import('./views/Categories.vue'), meta: { tab: 'categories', heading: '全部分类' } },
    { path: '/category/:code', component: () => import('./views/ProductList.vue'), props: true, meta: { heading: '商品列表' } },
    { path: '/seckill', component: () => import('./views/ProductList.vue'), props: { zone: 'seckill' }, meta: { heading: '秒杀专区' } },
    { path: '/activity-zone', component: () => import('./views/ProductList.vue'), props: { zone: 'activity' }, meta: { heading: '活动专区' } },
    { path: '/search', component: () => import('./views/Search.vue'), meta: { heading: '搜索' } },
    { path: '/product/:code', component: () => import('./views/Product.vue'), props: true, meta: { heading: '商品详情' } },
    { path: '/me', component: () => import('./views/Mine.vue'), meta: { tab: 'me', heading: '我的' } },
    { path: '/points', component: () => import('./views/Points.vue'), meta: { heading: '我的积分' } },
    { path: '/coupons', component: () => import('./views/Coupons.vue'), meta: { heading: '我的卡券' } },
    { path: '/activities', component: () => import('./views/Activities.vue'), meta: { heading: '我的活动' } },
    { path: '/check-in', component: () => import('./views/CheckIn.vue'), meta: { heading: '每日签到' } },
    { path: '/growth', component: () => import('./views/Growth.vue'), meta: { heading: '成长等级' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
  scrollBehavior: () => ({ top: 0 }),
})

router.afterEach((to) => {
  document.title = typeof to.meta.heading === 'string' ? to.meta.heading : '积分商城'
})
