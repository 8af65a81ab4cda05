import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Boot } from "./Boot";
import "./styles.css";

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <Boot />
  </StrictMode>,
);
