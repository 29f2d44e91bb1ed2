"""The checkout under test, for tests that run its tools and scripts in a subprocess.

Imported by the test files as ``from _checkout import ...`` (pytest puts ``tests/`` on the path).
"""
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TESTS = osp.join(REPO, 'tests')


def checkout_env(*paths: str, **variables: str) -> dict:
    """``os.environ`` with the checkout first on ``PYTHONPATH``, then ``paths``, then the
    inherited entries, and ``variables`` set: a subprocess imports this checkout's ``mmcausal``,
    not an installed one."""
    inherited = [os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else []
    return dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, *paths, *inherited]), **variables)
