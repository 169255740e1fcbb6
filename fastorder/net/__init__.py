"""Network placement: probing an endpoint's addresses for the fastest one, and a delaying loopback proxy to
emulate paths of different length on one machine."""

from fastorder.net.probe import VENUE_HOSTS, AddressResult, HostResult, probe_host, resolve

__all__ = ["VENUE_HOSTS", "AddressResult", "HostResult", "probe_host", "resolve"]
