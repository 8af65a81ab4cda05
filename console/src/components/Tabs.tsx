// Tabs (the WAI-ARIA tabs pattern): arrow keys move between tabs, the selected tab is in the
// address so it can be bookmarked and the back button works.

import { useRef, type KeyboardEvent, type ReactNode } from "react";

export type Tab<K extends string> = { key: K; label: string };

export function Tabs<K extends string>(props: {
  label: string;
  tabs: Tab<K>[];
  selected: K;
  onSelect: (key: K) => void;
  idPrefix: string;
  children: ReactNode;
}) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const index = props.tabs.findIndex((t) => t.key === props.selected);

  function onKeyDown(event: KeyboardEvent) {
    const last = props.tabs.length - 1;
    const next =
      event.key === "ArrowRight" ? (index === last ? 0 : index + 1)
      : event.key === "ArrowLeft" ? (index === 0 ? last : index - 1)
      : event.key === "Home" ? 0
      : event.key === "End" ? last
      : null;
    if (next === null) return;
    event.preventDefault();
    const key = props.tabs[next].key;
    props.onSelect(key);
    refs.current[key]?.focus();
  }

  return (
    <div className="tabs">
      <div role="tablist" aria-label={props.label} className="tablist" onKeyDown={onKeyDown}>
        {props.tabs.map((tab) => {
          const selected = tab.key === props.selected;
          return (
            <button
              key={tab.key}
              ref={(el) => {
                refs.current[tab.key] = el;
              }}
              role="tab"
              type="button"
              id={`${props.idPrefix}-tab-${tab.key}`}
              aria-selected={selected}
              aria-controls={`${props.idPrefix}-panel`}
              tabIndex={selected ? 0 : -1}
              className="tab"
              onClick={() => props.onSelect(tab.key)}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={`${props.idPrefix}-panel`}
        aria-labelledby={`${props.idPrefix}-tab-${props.selected}`}
        className="tabpanel"
      >
        {props.children}
      </div>
    </div>
  );
}
