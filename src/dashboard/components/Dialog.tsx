import { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A modal on the native <dialog> (focus trap and Esc for free). */
export function Dialog({ title, onClose, children, testId, wide }: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'dialog wide' : 'dialog'} data-testid={testId} onClose={onClose} aria-label={title}>
      <header>
        <h2>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose} data-testid="dialog-close">×</button>
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  );
}
