// Small inline icons (no icon font, no emoji: a machine without an emoji font shows them too).
const thumb = "M2 10h4v11H2zM7 10l4-8c1.5 0 2.5 1 2.5 2.5V8h5.5c1.2 0 2.1 1.1 1.9 2.3l-1.4 8.5c-.2 1-1 1.7-2 1.7H7z";

export function ThumbUp() {
  return <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d={thumb} fill="currentColor" /></svg>;
}

export function ThumbDown() {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
      <path d={thumb} fill="currentColor" transform="rotate(180 12 12)" />
    </svg>
  );
}
