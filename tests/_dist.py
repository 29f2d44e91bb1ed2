"""Helpers of the tests that start two gloo ranks on this machine.

Imported by the test files as ``from _dist import ...`` (pytest puts ``tests/`` on the path).
"""
import os
import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import pytest
import torch
import torch.multiprocessing as mp


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now, for the ranks' ``tcp://`` rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextmanager
def gloo_rank(rank: int, port: int) -> Iterator[None]:
    """Be ``rank`` of the 2-rank gloo group of ``port`` (with a launcher's environment) inside
    the ``with`` block.

    mmengine's ``init_dist`` would select a CUDA device; a Runner with ``launcher='pytorch'``
    uses this group instead.
    """
    torch.set_num_threads(1)  # a forked child must not reuse the parent's OpenMP pool
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE='2')
    torch.distributed.init_process_group('gloo', rank=rank, world_size=2)
    try:
        yield
    finally:
        torch.distributed.destroy_process_group()


def run_two_ranks(worker: Callable, *args, timeout: float = 300) -> None:
    """Run ``worker(rank, port, *args)`` in 2 forked processes; fail the test if a rank raises
    or both have not finished within ``timeout`` seconds (a hang in a collective)."""
    context = mp.start_processes(worker, args=(free_port(), *args), nprocs=2, join=False,
                                 start_method='fork')
    deadline = time.monotonic() + timeout
    while not context.join(timeout=2):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f'the 2 gloo ranks did not finish within {timeout} s')
