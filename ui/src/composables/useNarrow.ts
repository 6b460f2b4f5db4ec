// Whether the window is phone-narrow (NFR-7): below NARROW_PX the side menu is a drawer, forms stack their
// labels on top and dialogs take the screen's width. Follows the window as it is resized or turned.
import { onBeforeUnmount, ref, type Ref } from 'vue'

/** The breakpoint in CSS pixels; styles/index.css uses the same number in its media query. */
export const NARROW_PX = 768

export const NARROW_QUERY = `(max-width: ${NARROW_PX - 1}px)`

export function useNarrow(): Ref<boolean> {
  const query = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(NARROW_QUERY) : null
  const narrow = ref(query?.matches ?? false)
  const onChange = (e: MediaQueryListEvent): void => {
    narrow.value = e.matches
  }
  query?.addEventListener('change', onChange)
  onBeforeUnmount(() => query?.removeEventListener('change', onChange))
  return narrow
}
