import { createApp } from 'vue'
import 'vant/es/style/base.css'
import 'vant/es/dialog/style/index'
import './styles.css'
import './display'
import App from './App.vue'
import { router } from './router'

createApp(App).use(router).mount('#app')
