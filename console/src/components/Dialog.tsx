// A modal dialog on the native <dialog> element: the rest of the page is inert while it is
// open, Escape closes it, focus moves into it and back to what opened it.

import { useEffect, useId, useRef, type ReactNode } from "react";

export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  description?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const descriptionId = useId();
  const { open, onClose } = props;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
      // The first field, else the body's first button (Cancel in a confirmation), else Close.
      const body = dialog.querySelector(".dialog-body") ?? dialog;
      const first =
        body.querySelector<HTMLElement>(
          "[data-autofocus], input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])",
        ) ?? body.querySelector<HTMLElement>("button:not([disabled]), a[href]");
      (first ?? dialog.querySelector<HTMLElement>("button"))?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onCancel = (event: Event) => {
      event.preventDefault();
      onClose();
    };
    const onClosed = () => {
      const back = opener.current;
      opener.current = null;
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("close", onClosed);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("close", onClosed);
    };
  }, [onClose]);

  return (
    <dialog
      ref={ref}
      className={`dialog${props.wide ? " dialog--wide" : ""}`}
      aria-labelledby={titleId}
      aria-describedby={props.description ? descriptionId : undefined}
    >
      {open ? (
        <>
          <div className="dialog-header">
            <h2 id={titleId}>{props.title}</h2>
            <button type="button" className="dialog-close" onClick={onClose} aria-label="Close">
              <span aria-hidden="true">×</span>
            </button>
          </div>
          {props.description ? (
            <p className="dialog-description" id={descriptionId}>
              {props.description}
            </p>
          ) : null}
          <div className="dialog-body">{props.children}</div>
        </>
      ) : null}
    </dialog>
  );
}
