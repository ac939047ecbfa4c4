/**
 * Carrier: whether a link has its lower layer, as the kernel decides it per kind.
 * - a veth has carrier while both ends are up;
 * - a bridge has carrier until it first gets a port or its hardware address is set (also at
 *   creation), then while a port is up with carrier;
 * - a macvlan, ipvlan or vlan has its parent's carrier;
 * - `lo` and a dummy always have carrier; a physical device while its cable is in.
 *
 * A link is operational (IPv6 can configure it) when it is up and has carrier.
 *
 * @module
 */
import type { LinkState } from "./state.ts";
import { portsOf } from "./state.ts";

/** The link's carrier. */
export function carrierOf(link: LinkState): boolean {
  switch (link.kind) {
    case "loopback":
    case "dummy":
      return true;
    case "device":
      return link.deviceCarrier;
    case "veth":
      return link.up && link.peer !== undefined && link.peer.up;
    case "bridge":
      return !link.carrierFollowsPorts || portsOf(link).some(operational);
    case "macvlan":
    case "ipvlan":
    case "vlan":
      return link.parent !== undefined && carrierOf(link.parent);
  }
}

/** Up and with carrier. */
export function operational(link: LinkState): boolean {
  return link.up && carrierOf(link);
}
