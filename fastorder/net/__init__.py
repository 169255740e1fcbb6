"""Network placement: probing an endpoint's addresses for the fastest one, and ways to emulate paths of
different length on one machine: a delaying loopback proxy (proxy), an emulated round trip for benchmarks
(rtt: netem in a namespace pair, else relay: a compiled userspace delay relay in its own process)."""

from fastorder.net.probe import VENUE_HOSTS, AddressResult, HostResult, probe_host, resolve

__all__ = ["VENUE_HOSTS", "AddressResult", "HostResult", "probe_host", "resolve"]
