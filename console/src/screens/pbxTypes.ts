// PBX presets (GET /v1/pbx-types): each type's name, default transport and port, where it
// shows the extension's credentials, what to enable for transfers. Fetched once per session;
// without them the form falls back to the built-in names and the transport's port.

import { useEffect, useState } from "react";
import type { Api } from "../api/client";
import type { PbxPreset } from "../api/types";
import { useConsole } from "../context";

const loaded = new WeakMap<Api, Promise<PbxPreset[]>>();

export function usePbxTypes(): PbxPreset[] | null {
  const { api } = useConsole();
  const [presets, setPresets] = useState<PbxPreset[] | null>(null);
  useEffect(() => {
    let live = true;
    let request = loaded.get(api);
    if (!request) {
      request = api.get<{ pbx_types: PbxPreset[] }>("/v1/pbx-types").then((r) => r.pbx_types);
      request.catch(() => loaded.delete(api)); // try again next time
      loaded.set(api, request);
    }
    request.then((value) => live && setPresets(value)).catch(() => undefined);
    return () => {
      live = false;
    };
  }, [api]);
  return presets;
}
