import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from 'unplugin-vue-components/resolvers'

// The members' service hall (服务大厅, official-account H5): built into web/dist/hall and served
// by Flask under /hall/. Vant components and their CSS are imported where used (tree-shaken).
export default defineConfig({
  root: fileURLToPath(new URL('./hall', import.meta.url)),
  base: '/hall/',
  resolve: { alias: { '@api': fileURLToPath(new URL('./api', import.meta.url)) } },
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist/hall', import.meta.url)),
    emptyOutDir: true,
    // small inline assets would need a CSP exception for data: scripts; keep files
    assetsInlineLimit: 0,
  },
})
