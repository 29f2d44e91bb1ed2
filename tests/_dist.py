"""Helpers of the tests that start two gloo ranks on this machine.

Imported by the test files as ``from _dist import ...`` (pytest puts ``tests/`` on the path).
"""
import socket


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now, for the ranks' ``tcp://`` rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
