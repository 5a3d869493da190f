/**
 * The page header sticks to the top of wide screens (viewer.css). Whatever the browser scrolls
 * into view (a focused element when tabbing, forwards or backwards; a link's target) must not end
 * up under it: the page's scroll-padding-top follows the header's height while it sticks, through
 * the `--sticky-header-height` custom property. On small screens the header does not stick, and
 * the property is 0.
 */
export function keepClearOfStickyHeader(header: HTMLElement): void {
  const root = document.documentElement;
  const update = (): void => {
    const sticks = getComputedStyle(header).position === 'sticky';
    root.style.setProperty('--sticky-header-height', sticks ? `${Math.ceil(header.getBoundingClientRect().height)}px` : '0px');
  };
  new ResizeObserver(update).observe(header);
  // Crossing a media query's width can make the header stick, or stop, without resizing it.
  window.addEventListener('resize', update);
}
