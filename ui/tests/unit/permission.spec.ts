import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h, withDirectives } from 'vue'
import { permission, type PermissionValue } from '@/directives/permission'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'

function render(value: PermissionValue) {
  const Comp = defineComponent({
    render: () =>
      h('div', { 'data-testid': 'wrapper' }, [
        withDirectives(h('button', { 'data-testid': 'guarded' }, 'approve'), [[permission, value]]),
        h('span', { 'data-testid': 'free' }, 'view'),
      ]),
  })
  return mount(Comp)
}

describe('v-permission', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
  })

  it('keeps the element when the user holds the permission', () => {
    useUserStore().setUser(makeUser(['campaign:approve']))
    const wrapper = render('campaign:approve')
    expect(wrapper.find('[data-testid="guarded"]').exists()).toBe(true)
  })

  it('removes the element when the user lacks the permission, and leaves its siblings', () => {
    useUserStore().setUser(makeUser(['campaign:read']))
    const wrapper = render('campaign:approve')
    expect(wrapper.find('[data-testid="guarded"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="free"]').exists()).toBe(true)
  })

  it('removes the element when nobody is logged in', () => {
    const wrapper = render('campaign:approve')
    expect(wrapper.find('[data-testid="guarded"]').exists()).toBe(false)
  })

  it('accepts a list, any one of which suffices', () => {
    useUserStore().setUser(makeUser(['campaign:approve']))
    expect(render(['campaign:create', 'campaign:approve']).find('[data-testid="guarded"]').exists()).toBe(true)
    expect(render(['campaign:create', 'campaign:delete']).find('[data-testid="guarded"]').exists()).toBe(false)
  })

  it('unmounts cleanly after removing the element', () => {
    const wrapper = render('campaign:approve')
    expect(() => wrapper.unmount()).not.toThrow()
  })
})
