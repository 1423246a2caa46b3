"""I/O layer: timestamping sockets and asyncio glue shared by PTP and NTP."""
