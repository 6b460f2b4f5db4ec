// The customers' H5 mall (Vant 4, phone-sized), a second entry of the admin UI's Vite project: the
// same typed API client and utilities. Opened from mobile banking with a signed assertion in the
// address, exchanged here for the customer's session before the first page loads.
import 'vant/lib/index.css'
import './h5.css'
import Vant from 'vant'
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { openFromAddress } from './session'

async function start(): Promise<void> {
  await openFromAddress()
  createApp(App).use(Vant).use(router).mount('#app')
}

void start()
