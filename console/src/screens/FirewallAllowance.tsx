import type { Trunk } from "../api/types";
import { allowance } from "../lib/pbxSide";

/** The addresses and ports the PBX's firewall must let through (the trunk's edge_addresses):
 *  a PBX that drops strangers stays silent, and the trunk reads Connecting with nothing else
 *  to go on. */
export function FirewallAllowance(props: { trunk: Trunk }) {
  const allow = allowance(props.trunk);
  if (!allow) return null;
  return (
    <div className="allowance" data-testid="edge-addresses">
      <h3>Allow SmartAlex on the PBX's firewall</h3>
      <p>
        SmartAlex registers, takes calls and sends their audio from{" "}
        {allow.addresses.length ? (
          <>
            {allow.addresses.length === 1 ? "this address" : "these addresses"}:{" "}
            {allow.addresses.map((address, i) => (
              <span key={address}>
                {i ? ", " : ""}
                <code>{address}</code>
              </span>
            ))}
            .
          </>
        ) : (
          "our edges' public addresses, which this deployment does not list: ask your SmartAlex operator for them."
        )}{" "}
        Add {allow.addresses.length === 1 ? "it" : "them"} to the PBX's allowed or trusted addresses (and keep{" "}
        {allow.addresses.length === 1 ? "it" : "them"} out of its blocklist or fail2ban).
      </p>
      <ul>
        <li>{allow.sip}</li>
        <li>{allow.media}</li>
      </ul>
    </div>
  );
}
