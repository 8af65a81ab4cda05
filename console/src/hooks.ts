import { useCallback, useEffect, useRef, useState } from "react";

export type Resource<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  set: (update: (value: T | undefined) => T | undefined) => void;
};

/** Load once (and again when `key` changes); `reload` fetches again keeping what is shown. */
export function useResource<T>(load: () => Promise<T>, key: string): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loader.current();
      if (mine === generation.current) {
        setData(value);
        setError(null);
      }
    } catch (err) {
      if (mine === generation.current) setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setData(undefined);
    void run();
    return () => {
      generation.current++;
    };
  }, [key, run]);

  const set = useCallback((update: (value: T | undefined) => T | undefined) => setData(update), []);
  return { data, error, loading, reload: run, set };
}

/** The document title and focus on the screen's heading when a screen opens. */
export function useScreen(title: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · SmartAlex`;
  }, [title]);
  useEffect(() => {
    // Focus moves to the new screen's heading (not on the first page load: the skip link and
    // navigation come first there).
    if (document.body.dataset.navigated === "yes") heading.current?.focus();
  }, []);
  return heading;
}
